// Bit flips in flight (server → agent): the MD5 of each piece catches every damaged piece,
// exactly those pieces are fetched again, and the installed course is byte-identical.
// Ground truth comes from a recording tap between the agent and the corrupting proxy: it
// holds the bytes the agent actually received, compared with the master's blob.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningMaster } from "../../src/master/server.js";
import { type BlobManifest, pieceRange } from "../../src/transfer/index.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import {
  blobBytes,
  COURSE,
  type CoursePair,
  installedHash,
  planBlob,
  publish,
  report,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";
import { parseExchanges, Tap } from "./tap.js";

const PIECE = 32 * 1024;

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let newHash: string;
let blob: BlobManifest;
let bytes: Buffer;

beforeAll(async () => {
  course = await writeCoursePair("large-addition", 0.2);
  ({ master, dir: mdir } = await startTestMaster({ pieceSize: PIECE }));
  newHash = (await publish(master, course.new)).contentHash;
  blob = (await planBlob(master, undefined)).blob;
  bytes = await blobBytes(master, blob.id);
});

afterAll(async () => {
  await master?.close();
  await mdir?.cleanup();
  await course?.dir.cleanup();
});

function popcount(a: Buffer, b: Buffer): number {
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      n += x & 1;
      x >>= 1;
    }
  }
  return n;
}

const PIECE_PATH = /^\/v1\/blobs\/([0-9a-f]{64})\/pieces\/(\d+)$/;

describe("bit flips server → agent", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every damaged piece is caught by its MD5 and fetched again, nothing else`, async () => {
      const proxy = await FaultProxy.start({
        targetHost: "127.0.0.1",
        targetPort: Number(new URL(master.url).port),
        seed,
      });
      const tap = await Tap.start(proxy.port);
      const agent = await makeTempDir("hc-faults-agent-");
      try {
        const { result } = await syncQuiet({
          dataDir: agent.path,
          masterUrl: tap.url,
          courses: [COURSE],
          // Flips start once the plan is in: the pieces are what this test damages.
          onPhase: (phase) => {
            if (phase === "downloading") proxy.setFaults({ corruptPerKB: 0.01 });
          },
        });
        const done = result.courses[0]!;
        expect(done.type, JSON.stringify(done)).toBe("course-done");
        if (done.type === "course-done") {
          expect(done.contentHash).toBe(newHash);
          expect(await installedHash(done.path)).toBe(newHash);
        }
      } finally {
        await agent.cleanup();
        await tap.close();
        await proxy.close();
      }

      // Per piece: responses the agent received, and how many of them were damaged.
      const received = new Map<number, { responses: number; damaged: number; lastClean: boolean }>();
      let damagedBodies = 0;
      let damagedHeads = 0;
      let damagedResponses = 0;
      let bodyFlips = 0;
      for (const c of tap.connections) {
        const { exchanges, unparsed } = parseExchanges(c);
        expect(unparsed, `connection ${c.id}: a response could not be parsed`).toBe(0);
        for (const x of exchanges) {
          const m = PIECE_PATH.exec(x.path);
          if (!m) continue;
          const n = Number(m[2]);
          const { start, end } = pieceRange(blob, n);
          const want = bytes.subarray(start, end);
          // A clean head is a 200 with the piece's ETag; a clean body is the piece's bytes.
          const headOk = x.head.startsWith("HTTP/1.1 200 OK\r\n") && x.head.includes(`"${blob.md5[n]}"`);
          const bodyOk = x.body.equals(want);
          if (!headOk) damagedHeads++;
          if (!bodyOk) {
            damagedBodies++;
            bodyFlips += popcount(x.body, want);
          }
          const r = received.get(n) ?? { responses: 0, damaged: 0, lastClean: false };
          r.responses++;
          if (!headOk || !bodyOk) {
            r.damaged++;
            damagedResponses++;
          }
          received.set(n, r);
        }
      }
      const requests = [...received.values()].reduce((a, r) => a + r.responses, 0);
      const refetched = requests - received.size;
      const flips = proxy.stats().down.bitFlips;
      report(`corruption-seed-${seed}`, {
        pieces: blob.md5.length,
        pieceRequests: requests,
        refetched,
        damagedBodies,
        damagedHeads,
        bodyFlips,
        proxyFlips: flips,
      });
      expect(received.size).toBe(blob.md5.length);
      expect(damagedBodies, "the proxy damaged some pieces").toBeGreaterThan(0);
      // The tap sees every flip the proxy made (all in piece bodies unless a head was hit).
      if (damagedHeads === 0) expect(bodyFlips).toBe(flips);
      else expect(bodyFlips).toBeLessThanOrEqual(flips);
      // MD5 caught every damaged piece: piece by piece, re-fetches = damaged responses.
      for (const [n, r] of received)
        expect(r.responses - 1, `piece ${n}: ${r.damaged} damaged of ${r.responses}`).toBe(r.damaged);
      // (A response can have both a damaged head and a damaged body: count it once.)
      expect(refetched).toBe(damagedResponses);
    });
  }
});
