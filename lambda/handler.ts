// Placeholder while the runtime is being written; replaced by the real handler in the same change.
export const handler = async (): Promise<void> => {};
