/** grove's command line: one subcommand per file, each a thin layer over the library. */
import { runScore, SCORE_USAGE } from './score.js';
import { runServe, SERVE_USAGE } from './serve.js';
import { runPredict, PREDICT_USAGE } from './predict.js';
import { runModels, MODELS_USAGE } from './models.js';
import { runTrain, TRAIN_USAGE } from './train.js';
import { runRoute, ROUTE_USAGE } from './route.js';
import { runValidate, VALIDATE_USAGE } from './validate.js';
import { runShadowReport, SHADOW_REPORT_USAGE } from './shadow-report.js';
import { runDiff, DIFF_USAGE } from './diff.js';
import { UsageError } from './usage.js';

const USAGE = `usage: grove <command> [options]

commands:
  serve    serve the model registry over gRPC
  predict  send a CSV or JSON records to a running server
  models   list a running server's models, versions and states
  score    score a CSV with a model file (XGBoost JSON/UBJSON, LightGBM text), no server
  route    change a model's routing: candidate, shadow, canary, promote, rollback, off
  shadow-report  compare live and shadow predictions from the prediction log (text, JSON, HTML)
  diff     score the same rows with two versions and compare them (exit 1 over the mismatch limit)
  validate lint a model bundle and run its self-check
  train    train a house-price model version into a registry bundle

${[SERVE_USAGE, PREDICT_USAGE, MODELS_USAGE, SCORE_USAGE, ROUTE_USAGE, SHADOW_REPORT_USAGE, DIFF_USAGE, VALIDATE_USAGE, TRAIN_USAGE].join('\n')}`;

export interface CliIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const defaultIO: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Runs one CLI invocation and returns its exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'score':
        return await runScore(rest, io);
      case 'serve':
        return await runServe(rest, io);
      case 'predict':
        return await runPredict(rest, io);
      case 'models':
        return await runModels(rest, io);
      case 'train':
        return await runTrain(rest, io);
      case 'route':
        return await runRoute(rest, io);
      case 'validate':
        return await runValidate(rest, io);
      case 'shadow-report':
        return await runShadowReport(rest, io);
      case 'diff':
        return await runDiff(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`grove ${command ?? ''}: ${message.split('\n')[0]}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
