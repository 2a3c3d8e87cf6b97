/**
 * The server's CodeLenses ("3 tests" above an endpoint, the route above a test call) name the
 * server command `fastapiLs.showLocations` with the arguments of VS Code's
 * `editor.action.showReferences`: the lens's uri and position and the locations to show, in
 * LSP's JSON shape. Only VS Code can run that command, and only with its own types, so each such
 * lens is turned into it here. A lens whose arguments do not have that shape keeps the server's
 * command, which opens the location itself. Pure: the conversion to VS Code's types is given.
 */

import type { Location, Position } from "vscode-languageclient";

export const SHOW_LOCATIONS = "fastapiLs.showLocations";
export const SHOW_REFERENCES = "editor.action.showReferences";

export interface LensCommand {
  title: string;
  command: string;
  tooltip?: string;
  arguments?: unknown[];
}

export interface Lens {
  command?: LensCommand | undefined;
}

/** VS Code's constructors for LSP's uri, position and location. */
export interface Converter<U, P, L> {
  uri(value: string): U;
  position(value: Position): P;
  location(value: Location): L;
}

/** `editor.action.showReferences` for the server's lens command; undefined for any other. */
export function showReferencesCommand<U, P, L>(
  command: LensCommand,
  convert: Converter<U, P, L>,
): LensCommand | undefined {
  const args = command.arguments;
  if (command.command !== SHOW_LOCATIONS || args?.length !== 3) {
    return undefined;
  }
  const [uri, position, locations] = args;
  if (
    typeof uri !== "string" ||
    !isPosition(position) ||
    !Array.isArray(locations) ||
    !locations.every(isLocation)
  ) {
    return undefined;
  }
  return {
    title: command.title,
    command: SHOW_REFERENCES,
    arguments: [
      convert.uri(uri),
      convert.position(position),
      locations.map((location) => convert.location(location)),
    ],
  };
}

/** The lenses, each server lens command turned into `editor.action.showReferences`. */
export function withShowReferences<T extends Lens, U, P, L>(
  lenses: T[] | null | undefined,
  convert: Converter<U, P, L>,
): T[] | null | undefined {
  for (const lens of lenses ?? []) {
    const command = lens.command && showReferencesCommand(lens.command, convert);
    if (command !== undefined) {
      lens.command = command;
    }
  }
  return lenses;
}

function isPosition(value: unknown): value is Position {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const { line, character } = value as Record<string, unknown>;
  return Number.isInteger(line) && Number.isInteger(character);
}

function isLocation(value: unknown): value is Location {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const { uri, range } = value as Record<string, unknown>;
  if (typeof uri !== "string" || typeof range !== "object" || range === null) {
    return false;
  }
  const { start, end } = range as Record<string, unknown>;
  return isPosition(start) && isPosition(end);
}
