export default function globalTeardown(): void {
  // Each test app drops its own database; nothing shared is left to clean.
}
