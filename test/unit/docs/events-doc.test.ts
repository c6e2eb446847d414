import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EVENTS_DOC, eventContracts, renderEventCatalogue } from '../../../scripts/event-catalogue.js';

describe('the event catalogue (docs/events.md)', () => {
  it('matches the events.ts contracts (regenerate with `node --import tsx scripts/event-catalogue.ts --write`)', () => {
    assert.equal(readFileSync(EVENTS_DOC, 'utf8'), renderEventCatalogue());
  });

  it('describes every event of every actor', () => {
    for (const contract of eventContracts()) {
      for (const fact of contract.facts) assert.ok(fact.description.length > 10, `${contract.prefix}${fact.name} has no description`);
    }
  });
});
