/**
 * `node out/test/support/holderScan.js DEVICE`: prints LinuxProcessTable.holdersOf(DEVICE) as JSON.
 * A standalone program so a test can run the scan as ANOTHER user and see what that user may see.
 */
import { LinuxProcessTable } from '../../src/camera/processTable';

if (require.main === module) {
  const device = process.argv[2];
  if (!device) {
    process.stderr.write('usage: holderScan.js DEVICE\n');
    process.exit(2);
  }
  new LinuxProcessTable()
    .holdersOf(device)
    .then((scan) =>
      process.stdout.write(
        `${JSON.stringify({ holders: scan.holders.map((h) => ({ pid: h.pid, name: h.name, uid: h.uid })), uninspected: scan.uninspected })}\n`,
      ),
    )
    .catch((err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    });
}
