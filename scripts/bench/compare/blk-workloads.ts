// The block workloads of `bench -- compare`, as fio jobs for the Linux guest; the blktest image
// runs the same ones (`blk=bench`) and prints its figures under the same names.
import type { FioJob } from "./linux-guest";

export const DISK_MIB = 256;
export const RANDOM_SECONDS = 3;
const SEQ_DEPTH = 4;

export const FIO_JOBS: readonly FioJob[] = [
  { name: "seq-write", options: `--rw=write --bs=1M --iodepth=${SEQ_DEPTH} --size=${DISK_MIB}M` },
  { name: "seq-read", options: `--rw=read --bs=1M --iodepth=${SEQ_DEPTH} --size=${DISK_MIB}M` },
  { name: "rand-read-qd1", options: `--rw=randread --bs=4k --iodepth=1 --runtime=${RANDOM_SECONDS} --time_based` },
  { name: "rand-read-qd32", options: `--rw=randread --bs=4k --iodepth=32 --runtime=${RANDOM_SECONDS} --time_based` },
];
