// Shared links through the client's API layer: the share dialog's query, create, update (a new
// ID) and delete; the settings table's list; the public page's data, read signed in and not.
// The server test that runs this file seeds FERROCHAT_EMAIL's account with two two-message
// conversations and passes their IDs in FERROCHAT_CONVERSATIONS.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { axios, dataService, setTokenHeader } from './client.mjs';

const email = process.env.FERROCHAT_EMAIL;
const password = process.env.FERROCHAT_PASSWORD;
const [c0, c1] = (process.env.FERROCHAT_CONVERSATIONS ?? '').split(',').filter(Boolean);
const NO_PARENT = '00000000-0000-0000-0000-000000000000';

async function anonymously(fn) {
  const saved = axios.defaults.headers.common.Authorization;
  delete axios.defaults.headers.common.Authorization;
  try {
    return await fn();
  } finally {
    axios.defaults.headers.common.Authorization = saved;
  }
}

test('share dialog: create, read publicly, update, list, delete', { skip: !email }, async () => {
  const { token } = await dataService.login({ email, password });
  setTokenHeader(token);
  const config = await dataService.getStartupConfig();
  assert.equal(config.sharedLinksEnabled, true);
  assert.equal(config.publicSharedLinksEnabled, true);

  assert.deepEqual(await dataService.getSharedLink(c0), {
    success: false,
    shareId: null,
    conversationId: c0,
  });
  const created = await dataService.createSharedLink(c0);
  assert.equal(created.conversationId, c0);
  assert.match(created.shareId, /^[A-Za-z0-9_-]{21}$/);
  const link = await dataService.getSharedLink(c0);
  assert.equal(link.success, true);
  assert.equal(link.shareId, created.shareId);

  const shared = await anonymously(() => dataService.getSharedMessages(created.shareId));
  assert.equal(shared.shareId, created.shareId);
  assert.equal(shared.title, 'c0');
  assert.match(shared.conversationId, /^convo_/);
  assert.equal(shared.messages.length, 2);
  const [question, answer] = shared.messages;
  assert.match(question.messageId, /^msg_/);
  assert.equal(question.parentMessageId, NO_PARENT);
  assert.equal(answer.parentMessageId, question.messageId);
  assert.equal(question.text, 'hello?');
  assert.equal(answer.content[0].text, 'hi!');
  assert.ok(!JSON.stringify(shared).includes(c0), 'the real conversation ID stays private');

  // Only the branch down to a target message.
  const [first] = await dataService.getMessagesByConvoId(c1);
  const branch = await dataService.createSharedLink(c1, first.messageId);
  const partial = await anonymously(() => dataService.getSharedMessages(branch.shareId));
  assert.deepEqual(partial.messages.map((m) => m.text), ['hello?']);

  const updated = await dataService.updateSharedLink(created.shareId);
  assert.equal(updated.conversationId, c0);
  assert.notEqual(updated.shareId, created.shareId);
  await assert.rejects(
    anonymously(() => dataService.getSharedMessages(created.shareId)),
    (e) => e.response?.status === 404,
  );

  const list = await dataService.listSharedLinks({
    pageSize: 1,
    isPublic: true,
    sortBy: 'createdAt',
    sortDirection: 'desc',
  });
  assert.equal(list.links.length, 1);
  assert.equal(list.hasNextPage, true);
  const rest = await dataService.listSharedLinks({
    pageSize: 1,
    isPublic: true,
    sortBy: 'createdAt',
    sortDirection: 'desc',
    cursor: list.nextCursor,
  });
  assert.equal(rest.hasNextPage, false);
  assert.deepEqual(
    new Set([...list.links, ...rest.links].map((l) => l.shareId)),
    new Set([updated.shareId, branch.shareId]),
  );
  const byTitle = await dataService.listSharedLinks({
    pageSize: 10,
    isPublic: true,
    sortBy: 'title',
    sortDirection: 'asc',
    search: 'c1',
  });
  assert.deepEqual(byTitle.links.map((l) => [l.title, l.conversationId]), [['c1', c1]]);

  const deleted = await dataService.deleteSharedLink(updated.shareId);
  assert.equal(deleted.success, true);
  assert.equal(deleted.shareId, updated.shareId);
  assert.deepEqual(await dataService.getSharedLink(c0), {
    success: false,
    shareId: null,
    conversationId: c0,
  });
});
