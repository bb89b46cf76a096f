import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { icsFor, icsParam, icsText, icsUri, type IcsEvent } from '../../src/notifications/ics.ts';

/**
 * Whatever a name holds (stored text is clean, but this writer must not
 * depend on that), the .ics keeps one property per line: nothing typed can
 * end a line and start another property or parameter.
 */
const HOSTILE = 'Kim\r\nATTENDEE:mailto:evil@example.com\nX-INJECTED:1\rBCC;x="y":z\u0000\u0007, Jr; "Q"';

const event = (over: Partial<IcsEvent> = {}): IcsEvent => ({
  method: 'REQUEST', uid: 'b1@slotwise', sequence: 0,
  start: new Date('2026-03-10T15:00:00Z'), end: new Date('2026-03-10T16:00:00Z'), stamp: new Date('2026-03-02T12:00:00Z'),
  summary: `Cut — ${HOSTILE}`, description: `Cut with ${HOSTILE}.\nChange or cancel: https://x.slotwise.test/manage/t`, location: HOSTILE,
  url: 'https://x.slotwise.test/manage/t\r\nX-URL-INJECTED:1',
  organizer: { name: HOSTILE, email: 'no-reply@slotwise.test' },
  attendee: { name: HOSTILE, email: 'kim@example.com\r\nX-MAIL:1' },
  ...over,
});

/** The logical lines (folding undone), as a calendar client reads them. */
const lines = (ics: string) => ics.replace(/\r\n /g, '').split('\r\n').filter(Boolean);

describe('the .ics writer', () => {
  it('keeps every property on its own line, whatever the names hold', () => {
    const ics = icsFor(event());
    expect(ics).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // no bare CR or LF
    const names = lines(ics).map((l) => /^[A-Z-]+/.exec(l)![0]);
    expect(names).toEqual([
      'BEGIN', 'VERSION', 'PRODID', 'CALSCALE', 'METHOD', 'BEGIN', 'UID', 'SEQUENCE', 'DTSTAMP', 'DTSTART', 'DTEND', 'SUMMARY', 'DESCRIPTION', 'LOCATION', 'URL',
      'ORGANIZER', 'ATTENDEE', 'STATUS', 'END', 'END',
    ]);
  });

  it('parses back to exactly one event with the text as typed, minus the controls', () => {
    const vevent = new ICAL.Component(ICAL.parse(icsFor(event()))).getFirstSubcomponent('vevent')!;
    expect(vevent.getAllProperties('attendee')).toHaveLength(1);
    expect(vevent.getFirstPropertyValue('x-injected')).toBeNull();
    expect(vevent.getFirstPropertyValue('summary')).toBe('Cut — Kim\nATTENDEE:mailto:evil@example.com\nX-INJECTED:1\nBCC;x="y":z, Jr; "Q"');
    expect(vevent.getFirstPropertyValue('location')).toBe('Kim\nATTENDEE:mailto:evil@example.com\nX-INJECTED:1\nBCC;x="y":z, Jr; "Q"');
    const attendee = vevent.getFirstProperty('attendee')!;
    expect(attendee.getParameter('cn')).toBe(`Kim ATTENDEE:mailto:evil@example.com X-INJECTED:1 BCC;x='y':z , Jr; 'Q'`);
    expect(attendee.getParameter('role')).toBe('REQ-PARTICIPANT');
    expect(attendee.getFirstValue()).toBe('mailto:kim@example.comX-MAIL:1');
    expect(vevent.getFirstPropertyValue('url')).toBe('https://x.slotwise.test/manage/tX-URL-INJECTED:1');
  });

  it('escapes TEXT as RFC 5545 says', () => {
    expect(icsText('a\\b;c,d\r\ne\rf\ng\th')).toBe('a\\\\b\\;c\\,d\\ne\\nf\\ng\th');
  });

  it('quotes parameter values that need it and never lets one hold a quote or a control', () => {
    expect(icsParam('Ann')).toBe('Ann');
    expect(icsParam('Lee, Ann')).toBe('"Lee, Ann"');
    expect(icsParam('A "B"\r\nC')).toBe("A 'B' C");
  });

  it('drops from a URI what a URI cannot hold', () => {
    expect(icsUri('https://x.example/a b\r\nc')).toBe('https://x.example/abc');
  });
});
