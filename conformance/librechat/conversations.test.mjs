// Conversations and messages through the client's API layer. The server test that runs this
// file seeds FERROCHAT_EMAIL's account with conversations (no route creates them before the
// chat engine exists) and passes their IDs in FERROCHAT_CONVERSATIONS. The data-service helpers
// wrap update/archive/delete payloads in {arg} themselves.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dataService, setTokenHeader } from './client.mjs';

const email = process.env.FERROCHAT_EMAIL;
const password = process.env.FERROCHAT_PASSWORD;
const seeded = (process.env.FERROCHAT_CONVERSATIONS ?? '').split(',').filter(Boolean);

test('list, open, rename, archive, rate, edit and delete', { skip: !email }, async () => {
  const { token } = await dataService.login({ email, password });
  setTokenHeader(token);

  // Sidebar: first page without a query, then by cursor until nextCursor is null.
  const seen = [];
  let page = await dataService.listConversations({});
  seen.push(...page.conversations);
  while (page.nextCursor !== null) {
    page = await dataService.listConversations({ cursor: page.nextCursor });
    seen.push(...page.conversations);
  }
  assert.deepEqual(new Set(seen.map((c) => c.conversationId)), new Set(seeded));
  assert.equal(seen.length, seeded.length, 'no duplicates across pages');

  const id = seeded[0];
  const convo = await dataService.getConversationById(id);
  assert.equal(convo.conversationId, id);
  const messages = await dataService.getMessagesByConvoId(id);
  assert.equal(messages.length, 2);
  assert.equal(messages[0].parentMessageId, '00000000-0000-0000-0000-000000000000');
  assert.equal(messages[1].parentMessageId, messages[0].messageId);

  const renamed = await dataService.updateConversation({ conversationId: id, title: 'Renamed' });
  assert.equal(renamed.title, 'Renamed');
  assert.equal(renamed.conversationId, id);
  const archived = await dataService.archiveConversation({ conversationId: id, isArchived: true });
  assert.equal(archived.isArchived, true);
  const live = await dataService.listConversations({});
  assert.ok(!live.conversations.some((c) => c.conversationId === id), 'archived leaves the list');
  const arch = await dataService.listConversations({ isArchived: true });
  assert.deepEqual(arch.conversations.map((c) => c.conversationId), [id]);

  const answer = messages[1].messageId;
  const rated = await dataService.updateFeedback(id, answer, { feedback: { rating: 'thumbsDown', tag: 'not_helpful' } });
  assert.equal(rated.feedback.rating, 'thumbsDown');
  const edited = await dataService.updateMessage({ conversationId: id, messageId: messages[0].messageId, text: 'edited question' });
  assert.equal(edited.text, 'edited question');
  assert.equal((await dataService.getMessagesByConvoId(id))[0].text, 'edited question');

  const removed = await dataService.deleteConversation({ conversationId: seeded[1], source: 'button' });
  assert.equal(removed.deletedCount, 1);
  const after = await dataService.listConversations({});
  assert.ok(!after.conversations.some((c) => c.conversationId === seeded[1]));
  await assert.rejects(dataService.getConversationById(seeded[1]), (e) => e.response?.status === 404);
});
