// Type-aware lint (STYLE.md): floating promises and type-only imports above all.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'anomalog-data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Ports are async by contract; an implementation that needs no await is still one.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
    },
  },
  // The console's browser code builds the page from text only: log text must never become markup.
  {
    files: ['src/console/web/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'write', 'writeln', 'createContextualFragment', 'setHTMLUnsafe'].map((property) => ({
          property,
          message: 'Log text is rendered as text: build nodes with dom.ts (h, svg).',
        })),
      ],
    },
  },
  // Benchmarks and tests print their figures; the CLI writes to its io streams.
  { files: ['bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  // Tests take decoded wire messages apart: protobufjs hands them out untyped.
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
