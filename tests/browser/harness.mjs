// What the browser tests stand on: a Concord of their own on a fresh
// database, Debian's Chromium driven by playwright-core, and waiting on
// conditions (never on the clock).

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Logs and screenshots of a run. */
export const OUT = join(REPO, 'target/browser');

/**
 * Starts `target/debug/concord` (or CONCORD_BIN) on a free port against a
 * fresh database on the server DATABASE_URL names; Concord creates and
 * migrates it. `stop()` ends the process and drops the database.
 */
export async function startConcord() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    throw new Error('DATABASE_URL is not set: run scripts/browser-tests.sh (or make test), which resolves it');
  }
  const binary = process.env.CONCORD_BIN ?? join(REPO, 'target/debug/concord');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run cargo build --bin concord first`);

  const url = new URL(serverUrl);
  const database = `concord_browser_${Date.now()}_${process.pid}`;
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  url.pathname = '/postgres';
  const adminUrl = url.toString();

  mkdirSync(OUT, { recursive: true });
  const log = createWriteStream(join(OUT, 'server.log'));
  const child = spawn(binary, [], {
    env: {
      PATH: process.env.PATH,
      RUST_LOG: 'info',
      DATABASE_URL: databaseUrl,
      CONCORD__DATABASE__URL: databaseUrl,
      CONCORD__SERVER__HOST: '127.0.0.1',
      CONCORD__SERVER__PORT: '0',
      CONCORD__SERVER__WORKERS: '2',
      CONCORD__AUTH__BCRYPT_COST: '4',
      CONCORD__REALTIME__BROKER: 'local',
      CONCORD__METRICS__PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log);

  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`Concord did not listen within 60 s; see ${join(OUT, 'server.log')}`)), 60_000);
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      buffered += chunk.toString();
      const match = /Concord is listening.*?\bport=(\d+)/.exec(buffered.replace(/\x1b\[[0-9;]*m/g, ''));
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Concord exited with ${code} before listening; see ${join(OUT, 'server.log')}`));
    });
  });
  // Keep draining stdout into the log so the process never blocks on it.
  child.stdout.on('data', (chunk) => log.write(chunk));

  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      log.end();
      if (process.env.KEEP_DB === '1') return;
      const drop = spawnSync('psql', ['-X', '-q', '-d', adminUrl, '-c', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`],
        { encoding: 'utf8' });
      if (drop.status !== 0) console.error(`could not drop database ${database}: ${drop.error ?? drop.stderr}`);
    },
  };
}

/** Debian's Chromium, headless; without the sandbox when running as root (CI). */
export function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: apt-get install chromium (scripts/browser-tests.sh does)`);
  }
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath, headless: true, args });
}

/**
 * Resolves once `condition()` (async or not) is truthy; fails after
 * `timeout` ms with `what` and the last value seen.
 */
export async function until(what, condition, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await condition();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Records the page's script errors and Content-Security-Policy violations.
 * Network failures while a test has taken the browser offline are expected
 * and are not recorded.
 */
export function watchErrors(page, errors) {
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Failed to load resource|WebSocket connection to .* failed|ERR_INTERNET_DISCONNECTED/.test(text)) return;
    errors.push(`${page.url()}: ${text}`);
  });
}
