// Renders Cucumber Messages NDJSON (stdin) with Cucumber's own HTML formatter,
// @cucumber/html-formatter, to one HTML page (stdout). The package has no
// command of its own since version 20, so this is the few lines its library
// needs. CERTIFY_NPM names the folder whose node_modules holds the package
// (.ci/run installs it there).
//
// Usage: CERTIFY_NPM=DIR node html_formatter.mjs < messages.ndjson > report.html

import { createRequire } from 'node:module'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

const root = process.env.CERTIFY_NPM
if (!root) {
  console.error('CERTIFY_NPM is not set: it names the folder where npm installed @cucumber/html-formatter')
  process.exit(2)
}
const require = createRequire(path.join(path.resolve(root), 'package.json'))
const { CucumberHtmlStream } = await import(pathToFileURL(require.resolve('@cucumber/html-formatter')).href)

const html = new CucumberHtmlStream()
html.pipe(process.stdout)
let n = 0
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  n += 1
  if (line.trim() === '') continue
  let envelope
  try {
    envelope = JSON.parse(line)
  } catch (e) {
    console.error(`line ${n}: not JSON: ${e.message}`)
    process.exit(1)
  }
  html.write(envelope)
}
html.end()
