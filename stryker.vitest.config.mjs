// The vitest configuration Stryker runs: the repository's own, reduced to the `unit` project.
// The `qemu` project boots real images (and builds them in its global setup), so it never runs per mutant.
import base from "./vitest.config.ts";

const unit = base.test.projects.filter((project) => project.test?.name === "unit");
if (unit.length !== 1) throw new Error("vitest.config.ts no longer defines exactly one `unit` project");

// The vireo command's tests look at the checkout around them (a git clone), which Stryker's sandbox
// is not; they judge no driver code.
const OUTSIDE_THE_SANDBOX = ["test/unit/vireo-cli.test.ts"];
const project = unit[0];
const judged = { ...project, test: { ...project.test, exclude: [...(project.test.exclude ?? []), ...OUTSIDE_THE_SANDBOX] } };

export default { ...base, test: { ...base.test, projects: [judged] } };
