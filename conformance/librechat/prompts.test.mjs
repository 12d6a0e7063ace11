// The prompt library through the client's API layer: categories, create a group (first version
// in use), list with the sidebar's query (name, category, cursor pages), add a version and put
// it in use, edit the group, delete versions (the group goes with its last) and groups.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dataService, setTokenHeader } from './client.mjs';

const email = process.env.FERROCHAT_EMAIL;
const password = process.env.FERROCHAT_PASSWORD;

test('prompt library: create, list, version, edit, delete', { skip: !email }, async () => {
  const { token, user } = await dataService.login({ email, password });
  setTokenHeader(token);

  const categories = await dataService.getCategories();
  assert.deepEqual(categories.map((c) => c.value), [
    'idea', 'travel', 'teach_or_explain', 'write', 'shop', 'code', 'misc', 'roleplay', 'finance',
  ]);
  assert.equal(categories[0].label, 'com_ui_idea');

  // As the create form sends it.
  const made = await dataService.createPrompt({
    prompt: { prompt: 'Translate {{text}} into {{language:French|German}}', type: 'text' },
    group: { name: 'Translate', category: 'write', oneliner: 'Any text, two languages', command: 'translate' },
  });
  const group = made.group;
  assert.equal(made.prompt.groupId, group._id, 'the client navigates to /d/prompts/{groupId}');
  assert.equal(group.productionId, made.prompt._id);
  assert.equal(group.productionPrompt.prompt, 'Translate {{text}} into {{language:French|German}}');
  assert.equal(group.author, user.id);
  assert.equal(group.authorName, user.name);
  assert.equal(group.command, 'translate');
  assert.equal(group.numberOfGenerations, 0);

  for (let i = 0; i < 11; i++) {
    await dataService.createPrompt({
      prompt: { prompt: `Note ${i}: {{text}}`, type: i % 2 ? 'chat' : 'text' },
      group: { name: `Note ${i}`, category: i % 2 ? 'misc' : '' },
    });
  }
  // The sidebar's infinite list: 10 at a time, most recently changed first.
  const first = await dataService.getPromptGroups({ limit: 10, category: '', name: '' });
  assert.equal(first.promptGroups.length, 10);
  assert.equal(first.has_more, true);
  assert.equal(first.promptGroups[0].name, 'Note 10');
  const second = await dataService.getPromptGroups({ limit: 10, cursor: first.after, category: '', name: '' });
  assert.deepEqual(second.promptGroups.map((g) => g.name), ['Note 0', 'Translate']);
  assert.equal(second.has_more, false);
  assert.equal(second.after, null);
  const named = await dataService.getPromptGroups({ limit: 10, name: 'transl', category: '' });
  assert.deepEqual(named.promptGroups.map((g) => g.name), ['Translate']);
  const misc = await dataService.getPromptGroups({ limit: 10, category: 'misc', name: '' });
  assert.equal(misc.promptGroups.length, 5);
  const none = await dataService.getPromptGroups({ limit: 10, category: 'sys__no__category__sys', name: '' });
  assert.equal(none.promptGroups.length, 6);
  const all = await dataService.getAllPromptGroups();
  assert.equal(all.length, 12);
  assert.equal(all.find((g) => g._id === group._id).command, 'translate', 'slash commands list');

  // A new version, then put in use, as the editor does.
  const { prompt: v2 } = await dataService.addPromptToGroup(group._id, {
    prompt: { prompt: 'Translate {{text}} into {{language}}, formally', type: 'text' },
  });
  assert.equal((await dataService.getPromptGroup(group._id)).productionId, made.prompt._id);
  assert.deepEqual(await dataService.makePromptProduction(v2._id), {
    message: 'Prompt production made successfully',
  });
  const versions = await dataService.getPrompts({ groupId: group._id });
  assert.deepEqual(versions.map((p) => p._id), [v2._id, made.prompt._id]);
  const readGroup = await dataService.getPromptGroup(group._id);
  assert.equal(readGroup.productionId, v2._id);
  assert.equal(readGroup.productionPrompt.prompt, v2.prompt);

  const edited = await dataService.updatePromptGroup({
    id: group._id,
    payload: { name: 'Translator', oneliner: 'Formal', category: 'teach_or_explain', command: 'tr' },
  });
  assert.equal(edited.name, 'Translator');
  assert.equal(edited.command, 'tr');
  // A field the server's schema does not know is refused.
  await assert.rejects(
    dataService.updatePromptGroup({ id: group._id, payload: { author: 'someone-else' } }),
    (e) => e.response?.status === 400,
  );

  // Deleting the version in use hands over; the last one takes the group.
  assert.deepEqual(await dataService.deletePrompt({ _id: v2._id, groupId: group._id }), {
    prompt: 'Prompt deleted successfully',
  });
  assert.equal((await dataService.getPromptGroup(group._id)).productionId, made.prompt._id);
  assert.deepEqual(await dataService.deletePrompt({ _id: made.prompt._id, groupId: group._id }), {
    prompt: 'Prompt deleted successfully',
    promptGroup: { message: 'Prompt group deleted successfully', id: group._id },
  });
  await assert.rejects(dataService.getPromptGroup(group._id), (e) => e.response?.status === 404);

  const note = all.find((g) => g.name === 'Note 3');
  assert.deepEqual(await dataService.deletePromptGroup(note._id), {
    message: 'Prompt group deleted successfully',
  });
  assert.equal((await dataService.getAllPromptGroups()).length, 10);
});
