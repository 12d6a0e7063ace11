// Bookmarks (tags), presets, duplicate and fork through the client's API layer. The server test
// that runs this file seeds FERROCHAT_EMAIL's account with three two-message conversations and
// passes their IDs in FERROCHAT_CONVERSATIONS.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dataService, setTokenHeader } from './client.mjs';

const email = process.env.FERROCHAT_EMAIL;
const password = process.env.FERROCHAT_PASSWORD;
const [c0, c1, c2] = (process.env.FERROCHAT_CONVERSATIONS ?? '').split(',').filter(Boolean);

async function login() {
  const { token } = await dataService.login({ email, password });
  setTokenHeader(token);
}

async function listAll(params) {
  const page = await dataService.listConversations(params);
  return page.conversations.map((c) => c.conversationId);
}

test('bookmarks: create, tag conversations, filter, rename, move, delete', { skip: !email }, async () => {
  await login();
  assert.deepEqual(await dataService.getConversationTags(), []);

  const saved = await dataService.createConversationTag({
    tag: 'Saved',
    description: 'keep',
    conversationId: c0,
    addToConversation: true,
  });
  assert.equal(saved.tag, 'Saved');
  assert.equal(saved.count, 1);
  assert.equal(saved.description, 'keep');
  const again = await dataService.createConversationTag({ tag: 'Saved' });
  assert.equal(again._id, saved._id, 'an existing name comes back as it is');
  await dataService.createConversationTag({ tag: 'work' });

  const tags = await dataService.addTagToConversation(c1, { tags: ['work', 'Saved'], tag: 'work' });
  assert.deepEqual(tags, ['Saved', 'work'], 'menu order');
  assert.deepEqual((await dataService.getConversationById(c1)).tags, ['Saved', 'work']);

  assert.deepEqual(await listAll({ tags: ['work'] }), [c1]);
  assert.deepEqual(new Set(await listAll({ tags: ['Saved'] })), new Set([c0, c1]));
  assert.deepEqual(new Set(await listAll({ tags: ['work', 'Saved'] })), new Set([c0, c1]));
  assert.deepEqual(await listAll({ tags: ['nothing'] }), []);

  const list = await dataService.getConversationTags();
  assert.deepEqual(list.map((t) => [t.tag, t.position, t.count]), [['Saved', 0, 2], ['work', 1, 1]]);

  const job = await dataService.updateConversationTag('work', { tag: 'job', position: 0 });
  assert.equal(job.tag, 'job');
  assert.equal(job.position, 0);
  assert.deepEqual((await dataService.getConversationTags()).map((t) => t.tag), ['job', 'Saved']);
  assert.deepEqual((await dataService.getConversationById(c1)).tags, ['job', 'Saved']);
  await assert.rejects(
    dataService.updateConversationTag('job', { tag: 'Saved' }),
    (e) => e.response?.status === 409,
  );
  await assert.rejects(
    dataService.updateConversationTag('missing', { description: 'x' }),
    (e) => e.response?.status === 404 && e.response.data.error === 'Tag not found',
  );

  const gone = await dataService.deleteConversationTag('job');
  assert.equal(gone.tag, 'job');
  assert.deepEqual((await dataService.getConversationById(c1)).tags, ['Saved']);
  assert.deepEqual((await dataService.getConversationTags()).map((t) => [t.tag, t.position]), [['Saved', 0]]);

  // Clearing a conversation's bookmarks.
  assert.deepEqual(await dataService.addTagToConversation(c1, { tags: [] }), []);
});

test('presets: create, update to default, list, delete one and all', { skip: !email }, async () => {
  await login();
  assert.deepEqual(await dataService.getPresets(), []);
  const brief = await dataService.createPreset({
    title: 'Brief',
    endpoint: 'openAI',
    model: 'gpt-4o',
    temperature: 0.2,
    promptPrefix: 'be brief',
  });
  assert.equal(typeof brief.presetId, 'string');
  assert.equal(brief.title, 'Brief');
  assert.equal(brief.temperature, 0.2);
  const other = await dataService.createPreset({ title: 'Other', endpoint: 'openAI', model: 'gpt-4o-mini' });

  const updated = await dataService.updatePreset({ ...other, title: 'Default one', defaultPreset: true });
  assert.equal(updated.presetId, other.presetId);
  assert.equal(updated.defaultPreset, true);
  assert.equal(updated.order, 0);
  const list = await dataService.getPresets();
  assert.deepEqual(list.map((p) => p.title), ['Default one', 'Brief'], 'the default sorts first');
  assert.equal(list[1].promptPrefix, 'be brief');

  const removed = await dataService.deletePreset({ presetId: brief.presetId });
  assert.equal(removed.deletedCount, 1);
  await dataService.createPreset({ title: 'Third', endpoint: 'openAI' });
  const all = await dataService.deletePreset(undefined);
  assert.equal(all.deletedCount, 2, 'no presetId deletes every preset');
  assert.deepEqual(await dataService.getPresets(), []);
});

test('duplicate and fork copy conversations with fresh IDs', { skip: !email }, async () => {
  await login();
  const original = await dataService.getMessagesByConvoId(c2);
  assert.equal(original.length, 2);

  const dup = await dataService.duplicateConversation({ conversationId: c2, title: 'Copy of c2' });
  assert.notEqual(dup.conversation.conversationId, c2);
  assert.equal(dup.conversation.title, 'Copy of c2');
  assert.equal(dup.messages.length, 2);
  assert.equal(dup.messages[0].parentMessageId, '00000000-0000-0000-0000-000000000000');
  assert.equal(dup.messages[1].parentMessageId, dup.messages[0].messageId);
  assert.ok(dup.messages.every((m) => m.conversationId === dup.conversation.conversationId));
  assert.ok(dup.messages.every((m) => !original.some((o) => o.messageId === m.messageId)));
  const stored = await dataService.getMessagesByConvoId(dup.conversation.conversationId);
  assert.deepEqual(stored.map((m) => m.text), original.map((m) => m.text));

  const fork = await dataService.forkConversation({
    conversationId: c2,
    messageId: original[0].messageId,
    option: 'directPath',
    splitAtTarget: false,
    latestMessageId: original[1].messageId,
  });
  assert.equal(fork.messages.length, 1, 'the direct path to the first message is one message');
  assert.equal(fork.conversation.title, (await dataService.getConversationById(c2)).title);
  const full = await dataService.forkConversation({ conversationId: c2, messageId: original[1].messageId });
  assert.equal(full.messages.length, 2);

  const ids = await listAll({});
  for (const id of [dup.conversation.conversationId, fork.conversation.conversationId]) {
    assert.ok(ids.includes(id), 'copies appear in the sidebar');
  }
  await assert.rejects(
    dataService.forkConversation({ conversationId: c2, messageId: '0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77' }),
    (e) => e.response?.status === 404,
  );
});
