import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { dirname, join } from "node:path";
import { writeFileAtomically } from "../../files";
import { LambdaName, bundleLambda, lambdaZip } from "../bundling/bundle";
import { LambdaPackaging } from "../settings";

export interface LambdaPackageProps {
  /** Which folder of lambda/ to bundle. */
  readonly lambda: LambdaName;
  /** @default "archive_file" */
  readonly packaging?: LambdaPackaging;
  /** Name of the zip file, e.g. `mz-dev-webhook-event-producer.zip`. */
  readonly zipName: string;
}

/**
 * A Lambda function's deployment package: the esbuild bundle, zipped either by the
 * article's `data.archive_file` at plan time or by us at synth time (no archive provider).
 */
export class LambdaPackage extends Construct {
  /** Value for `aws_lambda_function.filename`. */
  public readonly filename: string;
  /** Value for `aws_lambda_function.source_code_hash`. */
  public readonly sourceCodeHash: string;

  constructor(scope: Construct, id: string, props: LambdaPackageProps) {
    super(scope, id);
    const bundle = bundleLambda(props.lambda);
    if ((props.packaging ?? "archive_file") === "archive_file") {
      const source = new TerraformAsset(this, "bundle", { path: bundle.file, type: AssetType.FILE });
      const archive = new DataArchiveFile(this, "archive", {
        type: "zip",
        sourceFile: source.path,
        outputPath: `dist/${props.zipName}`,
        outputFileMode: "0644",
      });
      this.filename = archive.outputPath;
      this.sourceCodeHash = archive.outputBase64Sha256;
    } else {
      const { zip, sha256Base64 } = lambdaZip(bundle);
      const zipFile = join(dirname(bundle.file), props.zipName);
      writeFileAtomically(zipFile, zip);
      const asset = new TerraformAsset(this, "zip", { path: zipFile, type: AssetType.FILE });
      this.filename = asset.path;
      this.sourceCodeHash = sha256Base64;
    }
  }
}
