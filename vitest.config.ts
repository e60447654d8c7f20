import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 600_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        extends: true,
        // Boots the real images: they are built once, up front, never by the test files themselves.
        // Guests run under TCG: a test's time depends on how busy the host is, so it gets more room.
        test: { name: "qemu", include: ["test/qemu/**/*.test.ts"], globalSetup: ["test/qemu/global-setup.ts"], testTimeout: 90_000 },
      },
    ],
  },
});
