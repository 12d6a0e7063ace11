// A whole exchange the way the LibreChat client makes it: REST calls through
// librechat-data-provider, the chat stream through sse.js (the client's own SSE parser,
// unchanged, on the streaming XMLHttpRequest of ./xhr.mjs). The server test that runs this file configures a custom
// endpoint FERROCHAT_ENDPOINT backed by a fake OpenAI-compatible upstream that answers
// "echo: <text>", and seeds FERROCHAT_EMAIL's account.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SSE } from 'sse.js';
import { XMLHttpRequest } from './xhr.mjs';

import { dataService, setTokenHeader } from './client.mjs';

globalThis.XMLHttpRequest = XMLHttpRequest;

const base = process.env.FERROCHAT_URL;
const email = process.env.FERROCHAT_EMAIL;
const password = process.env.FERROCHAT_PASSWORD;
const endpoint = process.env.FERROCHAT_ENDPOINT;
const NO_PARENT = '00000000-0000-0000-0000-000000000000';

/** Sends a chat payload and collects the parsed `message` events until `final` or an error. */
function chat(token, payload, { stopAfterDeltas } = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    const sse = new SSE(`${base}/api/agents/chat/${encodeURIComponent(endpoint)}`, {
      payload: JSON.stringify(payload),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    });
    let deltas = 0;
    sse.addEventListener('message', (e) => {
      // The client does exactly this: a frame that is not JSON throws here.
      const data = JSON.parse(e.data);
      events.push(data);
      if (data.event === 'on_message_delta') deltas += 1;
      if (data.final) {
        sse.close();
        resolve(events);
      } else if (stopAfterDeltas && deltas >= stopAfterDeltas) {
        // The Stop button: the client just closes the request (§7.8).
        sse.close();
        resolve(events);
      }
    });
    sse.addEventListener('error', (e) => {
      sse.close();
      reject(new Error(`chat error ${e.responseCode}: ${e.data}`));
    });
    sse.stream();
  });
}

function payload(text, model, extra = {}) {
  return {
    text, sender: 'User', clientTimestamp: '2025-06-01T10:00:00', isCreatedByUser: true,
    parentMessageId: NO_PARENT, messageId: crypto.randomUUID(), error: false,
    endpoint, endpointType: 'custom', model, key: 'never', modelDisplayLabel: endpoint,
    isTemporary: false, isRegenerate: false, isContinued: false,
    ephemeralAgent: { execute_code: false, web_search: false, file_search: false, artifacts: false, mcp: [] },
    ...extra,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('chat, title, reload, follow-up, regenerate and stop through the client layers', { skip: !email }, async () => {
  const { token } = await dataService.login({ email, password });
  setTokenHeader(token);

  const endpoints = await dataService.getAIEndpoints();
  assert.equal(endpoints[endpoint].type, 'custom');
  const models = await dataService.getModels();
  assert.ok(!('initial' in models));
  const model = models[endpoint][0];

  // First message of a new conversation.
  const first = await chat(token, payload('Hi', model));
  assert.ok(first[0].created, 'created first');
  const created = first[0].message;
  const step = first.find((e) => e.event === 'on_run_step');
  const text = first.filter((e) => e.event === 'on_message_delta').map((e) => e.data.delta.content[0].text).join('');
  assert.equal(text, 'echo: Hi');
  const fin = first.at(-1);
  assert.equal(fin.final, true);
  const c = fin.conversation.conversationId;
  assert.equal(created.conversationId, c);
  assert.equal(fin.responseMessage.messageId, step.data.runId);
  assert.equal(fin.requestMessage.messageId, created.messageId);

  // The client asks for the title 2.5 s after final.
  const { title } = await dataService.genTitle({ conversationId: c });
  assert.ok(title && title !== 'New Chat');
  const { conversations } = await dataService.listConversations();
  assert.equal(conversations[0].conversationId, c);
  assert.equal(conversations[0].title, title);

  // Reload.
  const reloaded = await dataService.getMessagesByConvoId(c);
  assert.deepEqual(reloaded.map((m) => m.messageId), [created.messageId, fin.responseMessage.messageId]);
  assert.equal(reloaded[1].content[0].text, 'echo: Hi');

  // Follow-up in the same conversation.
  const second = await chat(token, payload('More', model, { conversationId: c, parentMessageId: fin.responseMessage.messageId }));
  const fin2 = second.at(-1);
  assert.equal(fin2.conversation.conversationId, c);
  assert.equal(fin2.requestMessage.parentMessageId, fin.responseMessage.messageId);

  // Regenerate the follow-up's answer: same user message, a sibling answer.
  const third = await chat(token, payload('More', model, {
    conversationId: c, parentMessageId: fin.responseMessage.messageId, isRegenerate: true,
    overrideParentMessageId: fin2.requestMessage.messageId, responseMessageId: `${fin2.responseMessage.messageId}_`,
  }));
  const fin3 = third.at(-1);
  assert.equal(fin3.requestMessage.messageId, fin2.requestMessage.messageId);
  assert.equal(fin3.responseMessage.parentMessageId, fin2.requestMessage.messageId);
  assert.notEqual(fin3.responseMessage.messageId, fin2.responseMessage.messageId);

  // Stop mid-answer (a slow model), then reload: the partial answer was kept.
  const stopped = await chat(token, payload('Go on', `${model}-slow`, {
    conversationId: c, parentMessageId: fin3.responseMessage.messageId,
  }), { stopAfterDeltas: 3 });
  assert.ok(!stopped.some((e) => e.final));
  let partial;
  for (let i = 0; i < 50 && !partial; i += 1) {
    await sleep(100);
    const msgs = await dataService.getMessagesByConvoId(c);
    partial = msgs.find((m) => !m.isCreatedByUser && m.parentMessageId === stopped[0].message.messageId);
  }
  assert.ok(partial, 'the partial answer is stored');
  assert.match(partial.content[0].text, /^(slow )+/);
  assert.ok(partial.content[0].text.length < 'slow '.length * 50);
  const all = await dataService.getMessagesByConvoId(c);
  assert.equal(all.length, 7, "hi, answer, more, two answers to it, go on, its partial answer");
});

test('search finds a chat through the client layers', { skip: !email }, async () => {
  const { token } = await dataService.login({ email, password });
  setTokenHeader(token);
  assert.equal(await dataService.getSearchEnabled(), true, 'the search bar is shown');
  const models = await dataService.getModels();
  const model = models[endpoint][0];

  const events = await chat(token, payload('Where do quokkas live?', model));
  const fin = events.at(-1);
  const c = fin.conversation.conversationId;

  // The search view: `GET /api/messages?search=` through the client's own call.
  const { messages, nextCursor } = await dataService.listMessages({ search: 'Quokka' });
  assert.equal(nextCursor, null);
  assert.deepEqual(messages.map((m) => m.messageId), [fin.responseMessage.messageId, fin.requestMessage.messageId]);
  for (const m of messages) {
    assert.equal(m.conversationId, c);
    // The conversation's title: the endpoint titles new chats in the background meanwhile.
    assert.equal(typeof m.title, 'string');
    assert.ok(m.title.length > 0);
  }
  assert.equal(messages[0].content[0].text, 'echo: Where do quokkas live?');
  assert.equal(messages[1].isCreatedByUser, true);

  // The sidebar with the same text.
  const { conversations } = await dataService.listConversations({ search: 'quokka' });
  assert.deepEqual(conversations.map((x) => x.conversationId), [c]);
  const none = await dataService.listMessages({ search: 'platypus' });
  assert.deepEqual(none.messages, []);
});
