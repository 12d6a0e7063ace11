// Importing an export through the client's API layer (Settings → Data controls → Import), as
// the client sends it: multipart form data with the file in field `file`.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { dataService, setTokenHeader } from './client.mjs';

const email = process.env.FERROCHAT_EMAIL;
const password = process.env.FERROCHAT_PASSWORD;
const fixtures = new URL('../../crates/services/tests/fixtures/import/', import.meta.url);

async function upload(name) {
  const form = new FormData();
  const bytes = await readFile(new URL(name, fixtures));
  form.append('file', new Blob([bytes], { type: 'application/json' }), name);
  return dataService.importConversationsFile(form);
}

test('import ChatGPT and LibreChat exports', { skip: !email }, async () => {
  const { token } = await dataService.login({ email, password });
  setTokenHeader(token);
  const config = await dataService.getStartupConfig();
  assert.ok(config.conversationImportMaxFileSize > 0);

  assert.deepEqual(await upload('chatgpt.json'), {
    message: 'Conversation(s) imported successfully',
  });
  await upload('librechat-tree.json');
  const page = await dataService.listConversations();
  assert.deepEqual(
    page.conversations.map((c) => c.title),
    ['Tree talk', 'Quokka facts'],
  );
  const quokka = page.conversations[1];
  const messages = await dataService.getMessagesByConvoId(quokka.conversationId);
  assert.equal(messages.length, 5);
  assert.equal(messages[0].text, 'Where do quokkas live?');
  assert.equal(messages[1].parentMessageId, messages[0].messageId);

  const bad = new FormData();
  bad.append('file', new Blob(['{"hello": 1}'], { type: 'application/json' }), 'x.json');
  await assert.rejects(dataService.importConversationsFile(bad), (e) => {
    assert.equal(e.response?.status, 400);
    assert.match(e.response.data.message, /is not an export of LibreChat, ChatGPT/);
    return true;
  });
});
