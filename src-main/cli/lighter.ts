import { runCli } from './main';

// Deprecation notices of Node about code in dependencies (docker-modem's URLs for ssh engines) are
// nothing a user of the command can act on; they would only break its output.
process.noDeprecation = true;

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
