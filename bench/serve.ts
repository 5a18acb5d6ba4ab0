export async function benchServe(_args: string[]): Promise<void> {
  throw new Error("not yet");
}
