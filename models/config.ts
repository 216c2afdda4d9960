/**
 * The models' one read of the environment: developer overrides for where the shared data lives
 * and which TensorFlow.js backend to use. Functions take an `env` parameter defaulting to this,
 * so tests can pass their own.
 */
export type ModelEnv = Readonly<Record<string, string | undefined>>;

export const modelEnv: ModelEnv = {
  WINBACK_SHARED_DATA: process.env['WINBACK_SHARED_DATA'],
  WINBACK_TF_BACKEND: process.env['WINBACK_TF_BACKEND'],
  TFJS_WASM_DIR: process.env['TFJS_WASM_DIR'],
};
