import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Location, Position } from "vscode-languageclient";
import {
  SHOW_LOCATIONS,
  SHOW_REFERENCES,
  showReferencesCommand,
  withShowReferences,
  type Converter,
  type Lens,
} from "../src/codeLens";

/** Stands for VS Code's classes: each value tagged with the constructor that made it. */
const convert: Converter<object, object, object> = {
  uri: (value: string) => ({ uri: value }),
  position: (value: Position) => ({ position: [value.line, value.character] }),
  location: (value: Location) => ({ location: value.uri, start: value.range.start.line }),
};

const endpoint = "file:///work/shop/app/api/routes/items.py";
const tests = "file:///work/shop/tests/api/routes/test_items.py";

function call(line: number): Location {
  return { uri: tests, range: { start: { line, character: 15 }, end: { line, character: 60 } } };
}

/** A lens as the server sends it for `read_item`, reached from two tests. */
function serverLens(): Lens {
  return {
    command: {
      title: "2 tests",
      command: SHOW_LOCATIONS,
      arguments: [endpoint, { line: 40, character: 0 }, [call(13), call(18)]],
    },
  };
}

describe("showReferencesCommand", () => {
  it("turns the server's command into showReferences with VS Code's types", () => {
    const lens = serverLens();
    assert.ok(lens.command);
    assert.deepEqual(showReferencesCommand(lens.command, convert), {
      title: "2 tests",
      command: SHOW_REFERENCES,
      arguments: [
        { uri: endpoint },
        { position: [40, 0] },
        [
          { location: tests, start: 13 },
          { location: tests, start: 18 },
        ],
      ],
    });
  });

  it("leaves other commands and malformed arguments to the server", () => {
    const position = { line: 40, character: 0 };
    for (const command of [
      { title: "0 tests", command: "" },
      { title: "x", command: "fastapiLs.context7.lookup", arguments: [endpoint, position, [call(1)]] },
      { title: "x", command: SHOW_LOCATIONS },
      { title: "x", command: SHOW_LOCATIONS, arguments: [endpoint, position] },
      { title: "x", command: SHOW_LOCATIONS, arguments: [42, position, [call(1)]] },
      { title: "x", command: SHOW_LOCATIONS, arguments: [endpoint, { line: "40" }, [call(1)]] },
      { title: "x", command: SHOW_LOCATIONS, arguments: [endpoint, position, call(1)] },
      { title: "x", command: SHOW_LOCATIONS, arguments: [endpoint, position, [{ uri: tests }]] },
      { title: "x", command: SHOW_LOCATIONS, arguments: [endpoint, position, [null]] },
    ]) {
      assert.equal(showReferencesCommand(command, convert), undefined, JSON.stringify(command));
    }
  });
});

describe("withShowReferences", () => {
  it("rewrites the server's lenses in place and keeps the others", () => {
    const plain: Lens = { command: { title: "0 tests", command: "" } };
    const unresolved: Lens = {};
    const lenses = [serverLens(), plain, unresolved];
    const result = withShowReferences(lenses, convert);
    assert.equal(result, lenses);
    assert.equal(lenses[0]?.command?.command, SHOW_REFERENCES);
    assert.deepEqual(lenses[1], { command: { title: "0 tests", command: "" } });
    assert.deepEqual(lenses[2], {});
  });

  it("passes an empty answer through", () => {
    assert.equal(withShowReferences(null, convert), null);
    assert.equal(withShowReferences(undefined, convert), undefined);
  });
});
