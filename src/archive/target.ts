import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { Config } from "../config/schema.ts";

/**
 * Where archive files live: a local directory or an S3-compatible bucket. Keys are relative ("2026-11/
 * market_data_ticks.parquet"); the target adds the directory or the bucket and prefix. S3 credentials come from the
 * SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment), never from chainvault's
 * config, so they are never logged or printed.
 */
export interface ArchiveTarget {
  /** Where a key lives, for messages and the ledger: a path or s3://bucket/key. */
  locate(key: string): string;
  putFile(key: string, file: string): Promise<void>;
  getFile(key: string, file: string): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  /** The text at `key`, or null when it does not exist. */
  getText(key: string): Promise<string | null>;
  /** Keys under `prefix` (relative keys), sorted. */
  list(prefix: string): Promise<string[]>;
  close(): void;
}

export type ArchiveConfig = Config["archive"];

function directoryTarget(root: string): ArchiveTarget {
  const full = (key: string) => path.join(root, ...key.split("/"));
  const writeAtomically = (key: string, write: (staging: string) => void) => {
    const destination = full(key);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    const staging = `${destination}.partial-${process.pid}`;
    write(staging);
    fs.renameSync(staging, destination);
  };
  return {
    locate: full,
    putFile: async (key, file) => writeAtomically(key, (staging) => fs.copyFileSync(file, staging)),
    getFile: async (key, file) => fs.copyFileSync(full(key), file),
    putText: async (key, text) => writeAtomically(key, (staging) => fs.writeFileSync(staging, text)),
    getText: async (key) => {
      try {
        return fs.readFileSync(full(key), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    list: async (prefix) => {
      const start = full(prefix);
      if (!fs.existsSync(start)) return [];
      return (fs.readdirSync(start, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((entry) => entry.isFile() && !entry.name.includes(".partial-"))
        .map((entry) =>
          path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"),
        )
        .sort();
    },
    close() {},
  };
}

async function s3Target(config: ArchiveConfig): Promise<ArchiveTarget> {
  // Loaded only when a bucket is configured: the SDK is large.
  const s3 = await import("@aws-sdk/client-s3");
  const client = new s3.S3Client({
    region: config.region,
    // Checksums only where S3 requires them: the default (aws-chunked trailing checksums) is not understood by
    // every S3-compatible server, and the manifest's SHA-256 checks each file end to end anyway.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint, forcePathStyle: true }),
  });
  const bucket = config.bucket!;
  const prefix = config.prefix === "" || config.prefix.endsWith("/") ? config.prefix : `${config.prefix}/`;
  const objectKey = (key: string) => `${prefix}${key}`;
  const isMissing = (error: unknown) => {
    const name = (error as { name?: string }).name;
    return name === "NoSuchKey" || name === "NotFound";
  };
  return {
    locate: (key) => `s3://${bucket}/${objectKey(key)}`,
    async putFile(key, file) {
      await client.send(
        new s3.PutObjectCommand({
          Bucket: bucket,
          Key: objectKey(key),
          Body: fs.createReadStream(file),
          ContentLength: fs.statSync(file).size,
        }),
      );
    },
    async getFile(key, file) {
      const result = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      await pipeline(result.Body as Readable, fs.createWriteStream(file));
    },
    async putText(key, text) {
      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: objectKey(key), Body: text }));
    },
    async getText(key) {
      try {
        const result = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return await result.Body!.transformToString("utf8");
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async list(under) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: objectKey(under), ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) keys.push(object.Key!.slice(prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    close: () => client.destroy(),
  };
}

export async function openArchiveTarget(config: ArchiveConfig): Promise<ArchiveTarget> {
  return config.target === "s3" ? s3Target(config) : directoryTarget(path.resolve(config.dir));
}
