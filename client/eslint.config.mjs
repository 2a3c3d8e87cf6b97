// ESLint flat config for the extension: typescript-eslint's type-checked rules over the
// sources and tests (the build script is plain JavaScript).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: new URL("..", import.meta.url).pathname,
      },
    },
    rules: {
      // Template literals with numbers are how messages are written here.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `() => log.show()` reads as a callback, not as returning a value.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // Fire-and-forget promises must say so with `void`.
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: true }],
    },
  },
  {
    files: ["client/test/**/*.ts"],
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      "@typescript-eslint/no-floating-promises": "off",
    },
  },
);
