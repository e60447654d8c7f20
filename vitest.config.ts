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
        test: { name: "qemu", include: ["test/qemu/**/*.test.ts"], globalSetup: ["test/qemu/global-setup.ts"] },
      },
    ],
  },
});
