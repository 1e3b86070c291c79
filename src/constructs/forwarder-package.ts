import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { writeFileAtomically } from "../files";
import { bundleForwarder, FORWARDER_FILE_NAME } from "../forwarder/bundle";
import { deterministicZip } from "../forwarder/zip";
import { ForwarderPackaging } from "../settings";

export interface ForwarderPackageProps {
  readonly packaging: ForwarderPackaging;
  /** Name of the zip file, e.g. `mz-dev-webhook-event-producer.zip`. */
  readonly zipName: string;
}

/**
 * The forwarder's deployment package: the esbuild bundle, zipped either by the article's
 * `data.archive_file` at plan time or by us at synth time (no archive provider needed).
 */
export class ForwarderPackage extends Construct {
  /** Value for `aws_lambda_function.filename`. */
  public readonly filename: string;
  /** Value for `aws_lambda_function.source_code_hash`. */
  public readonly sourceCodeHash: string;

  constructor(scope: Construct, id: string, props: ForwarderPackageProps) {
    super(scope, id);
    const bundle = bundleForwarder();
    if (props.packaging === "archive_file") {
      const source = new TerraformAsset(this, "bundle", { path: bundle.file, type: AssetType.FILE });
      const archive = new DataArchiveFile(this, "archive", {
        type: "zip",
        sourceFile: source.path,
        outputPath: `dist/${props.zipName}`,
        outputFileMode: "0644",
      });
      archive.overrideLogicalId("webhook_event_producer"); // state address: data.archive_file.webhook_event_producer
      this.filename = archive.outputPath;
      this.sourceCodeHash = archive.outputBase64Sha256;
    } else {
      const zip = deterministicZip([{ name: FORWARDER_FILE_NAME, data: bundle.code }]);
      const zipFile = join(dirname(bundle.file), props.zipName);
      writeFileAtomically(zipFile, zip);
      const asset = new TerraformAsset(this, "zip", { path: zipFile, type: AssetType.FILE });
      this.filename = asset.path;
      this.sourceCodeHash = createHash("sha256").update(zip).digest("base64");
    }
  }
}
