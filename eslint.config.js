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
  // The timeline page's module runs in the browser (src/api/routes/ui serves it as is).
  { files: ['src/ui/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  // Everything a workflow bundle can reach: Node built-ins and packages other than these two fail the first
  // pattern; a relative path that leaves src/workflows and src/shared fails the second. Type-only imports vanish
  // at build time, so they may cross.
  sandbox(['src/workflows/*.ts', 'src/shared/*.ts'], '^\\.\\./(?!shared/|workflows/)'),
  sandbox(['src/workflows/*/**/*.ts', 'src/shared/*/**/*.ts'], '^\\.\\./\\.\\./(?!shared/|workflows/)'),
);

function sandbox(files, leavesSandbox) {
  const restrict = (regex) => ({ regex, message: sandboxMessage, allowTypeImports: true });
  return {
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [restrict('^(?!@temporalio/(workflow|common)(/|$)|\\.{1,2}/)'), restrict(leavesSandbox)] },
      ],
    },
  };
}
