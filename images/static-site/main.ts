// A static web site from a tar archive on the disk, served with content types, HEAD, ranges,
// conditional requests, index.html and directory listings:
//   tar cf site.tar -C site .
//   npm run vireo -- run images/static-site/main.ts --disk site.tar,readonly --port 8080:80
import { TarError, TarSource, exit, openDisk, serve, staticFiles } from "../../runtime/app/index";

const disk = openDisk();
TarSource.open(disk).then(
  (site) => {
    console.log(`static-site: ${site.headers} archive entries on ${disk.name}`);
    serve(staticFiles(site));
  },
  (error: unknown) => {
    if (!(error instanceof TarError)) throw error;
    console.log(`static-site: ${disk.name} does not hold a tar archive (${error.message})`);
    exit(1);
  },
);
