/** Assertions on the typed errors the manager rejects with. */
import * as assert from 'assert';
import { CameraError, type CameraErrorKind } from '../../src/camera/errors';

/**
 * For assert.rejects: the error is a CameraError of this kind (or one of these kinds, where the
 * platform decides, e.g. a full disk seen as ENOSPC or as a failed gphoto2). On failure the message
 * carries the manager's log lines when given.
 */
export function kindOf(
  kinds: CameraErrorKind | readonly CameraErrorKind[],
  r?: { logs: string[] },
): (e: unknown) => boolean {
  const allowed: readonly CameraErrorKind[] = typeof kinds === 'string' ? [kinds] : kinds;
  return (e: unknown) => {
    assert.ok(e instanceof CameraError, `a CameraError, got ${String(e)}`);
    assert.ok(
      allowed.includes(e.kind),
      `expected ${allowed.join(' or ')}, got ${e.kind}: ${e.message}${r ? `\n${r.logs.join('\n')}` : ''}`,
    );
    return true;
  };
}
