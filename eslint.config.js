// Flat config: typescript-eslint's recommended rules, plus the workflow sandbox boundary as a lint error.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const sandboxMessage =
  'workflow code runs in the deterministic sandbox: import only @temporalio/workflow, @temporalio/common and ' +
  'sandbox-safe modules of ours (src/workflows, src/shared); side effects belong in activities';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tap/', '.tools/', '.stryker-tmp/', 'reports/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Everything a workflow bundle can reach: Node built-ins and packages other than these two fail the first
    // pattern. Type-only imports vanish at build time, so they may cross.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)(/|$)|\\.{1,2}/)',
              message: sandboxMessage,
              allowTypeImports: true,
            },
            { regex: '^\\.\\./(?!shared/|workflows/)', message: sandboxMessage, allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
