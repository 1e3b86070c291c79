import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { ArchiveProvider } from "@cdktf/provider-archive/lib/provider";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { unzipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Construct } from "constructs";
import { bundleLambda, LambdaName, lambdaZip } from "../../../src/infrastructure/bundling/bundle";
import { LambdaPackage, LambdaPackageProps } from "../../../src/infrastructure/constructs/lambda-package";

const sha256Base64 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("base64");

/** The package and, as outputs, the two values a function takes from it. */
function addPackage(scope: Construct, props: Partial<LambdaPackageProps>): LambdaPackage {
  const code = new LambdaPackage(scope, "package", { lambda: "forwarder", zipName: "shop-forwarder.zip", ...props });
  new TerraformOutput(scope, "filename", { value: code.filename });
  new TerraformOutput(scope, "source_code_hash", { value: code.sourceCodeHash });
  return code;
}

/** The construct on its own (Testing.synthScope). */
function synthPackage(props: Partial<LambdaPackageProps> = {}) {
  let construct!: LambdaPackage;
  const text = Testing.synthScope((scope) => {
    construct = addPackage(scope, props);
  });
  const json = JSON.parse(text);
  return { text, json, construct, filename: json.output.filename.value as string, sourceCodeHash: json.output.source_code_hash.value as string };
}

/** A full synth to disk, assets copied, as `cdktf synth` does: returns the stack's output folder and its Terraform JSON. */
function synthToDisk(outdir: string, props: Partial<LambdaPackageProps>) {
  const app = Testing.app({ outdir });
  const stack = new TerraformStack(app, "stack");
  new ArchiveProvider(stack, "archive");
  addPackage(stack, props);
  app.synth();
  const stackDir = join(outdir, "stacks", "stack");
  return { stackDir, json: JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) };
}

describe("LambdaPackage", () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), "lambda-package-test-"));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  describe("archive_file packaging (the default)", () => {
    test("a data.archive_file zips the bundle into dist/<zipName>, mode 0644", () => {
      const { text, json, construct } = synthPackage();
      const archive = construct.node.findChild("archive") as DataArchiveFile;
      const expected = {
        type: "zip",
        source_file: expect.stringMatching(/^assets\/[^/]+\/[0-9A-F]+\/index\.js$/),
        output_path: "dist/shop-forwarder.zip",
        output_file_mode: "0644",
      };
      expect(text).toHaveDataSourceWithProperties(DataArchiveFile, expected);
      expect(json.data.archive_file).toEqual({ [archive.friendlyUniqueId]: expected });
      expect(json.resource).toBeUndefined();
    });

    test("filename and source_code_hash come from the archive at plan time", () => {
      const { filename, sourceCodeHash, construct } = synthPackage();
      const archive = (construct.node.findChild("archive") as DataArchiveFile).friendlyUniqueId;
      expect(filename).toBe(`\${data.archive_file.${archive}.output_path}`);
      expect(sourceCodeHash).toBe(`\${data.archive_file.${archive}.output_base64sha256}`);
    });

    test("packaging: 'archive_file' is the default's", () => {
      expect(synthPackage({ packaging: "archive_file" }).text).toBe(synthPackage().text);
    });

    test("zipName names the output", () => {
      expect(Object.values(synthPackage({ zipName: "acme.zip" }).json.data.archive_file)).toEqual([
        expect.objectContaining({ output_path: "dist/acme.zip" }),
      ]);
    });

    test.each<LambdaName>(["forwarder", "webhook-application"])("the archive's source file is the %s bundle, byte for byte", (lambda) => {
      const { stackDir, json } = synthToDisk(mkdtempSync(join(outdir, "archive-")), { lambda });
      const [archive] = Object.values(json.data.archive_file) as { source_file: string }[];
      expect(readFileSync(join(stackDir, archive.source_file)).equals(bundleLambda(lambda).code)).toBe(true);
    });
  });

  describe("zip packaging", () => {
    test("no archive data source: filename is a synth-time asset named zipName", () => {
      const { json, filename } = synthPackage({ packaging: "zip" });
      expect(json.data).toBeUndefined();
      expect(json.resource).toBeUndefined();
      expect(filename).toMatch(/^assets\/[^/]+\/[0-9A-F]+\/shop-forwarder\.zip$/);
    });

    test.each<LambdaName>(["forwarder", "webhook-application"])("source_code_hash is lambdaZip's base64 SHA-256 of the %s bundle", (lambda) => {
      const { sourceCodeHash } = synthPackage({ packaging: "zip", lambda, zipName: `${lambda}.zip` });
      expect(sourceCodeHash).toBe(lambdaZip(bundleLambda(lambda)).sha256Base64);
      expect(sourceCodeHash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    });

    test("the two functions' packages differ", () => {
      const forwarder = synthPackage({ packaging: "zip", lambda: "forwarder" }).sourceCodeHash;
      const application = synthPackage({ packaging: "zip", lambda: "webhook-application" }).sourceCodeHash;
      expect(forwarder).not.toBe(application);
    });

    test("the zip is written beside the bundle, with lambdaZip's bytes", () => {
      synthPackage({ packaging: "zip", zipName: "beside-the-bundle.zip" });
      const bundle = bundleLambda("forwarder");
      const written = readFileSync(join(dirname(bundle.file), "beside-the-bundle.zip"));
      expect(written.equals(lambdaZip(bundle).zip)).toBe(true);
    });

    test.each<LambdaName>(["forwarder", "webhook-application"])(
      "the asset Terraform uploads is lambdaZip's zip of the %s bundle: its bytes, its hash, index.js inside",
      (lambda) => {
        const { stackDir, json } = synthToDisk(mkdtempSync(join(outdir, "zip-")), { lambda, packaging: "zip" });
        const asset = readFileSync(join(stackDir, json.output.filename.value));
        const expected = lambdaZip(bundleLambda(lambda));
        expect(asset.equals(expected.zip)).toBe(true);
        expect(json.output.source_code_hash.value).toBe(sha256Base64(asset));
        const files = unzipSync(new Uint8Array(asset));
        expect(Object.keys(files)).toEqual(["index.js"]);
        expect(Buffer.from(files["index.js"]).equals(bundleLambda(lambda).code)).toBe(true);
      },
    );
  });
});
