/**
 * sub -F's @Z (strftime %Z) names the zone as glibc does, whatever TZ says: mosquitto_sub printed
 * CET, IST, XYZ where impmqtt printed Intl's "GMT+1", "GMT+5:30", "GMT+3". (Found in the output
 * conformance review.) date(1) is glibc's strftime, as mosquitto_sub's.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { strftime } from '../../src/cli/strftime.js';

const saved = process.env.TZ;
afterEach(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

it('%Z and %z match date(1) for zone files, POSIX TZ strings, an empty TZ and winter and summer times', () => {
  const zones = ['Europe/Paris', 'Asia/Kolkata', 'America/New_York', 'Australia/Adelaide', 'EST5EDT', 'XYZ-3', ''];
  const times = [1_795_791_066, 1_784_000_000]; // November and July 2026
  for (const tz of zones) {
    process.env.TZ = tz;
    for (const seconds of times) {
      const expected = execFileSync('date', ['-d', `@${seconds}`, '+%Z|%z'], { env: { ...process.env, TZ: tz }, encoding: 'utf8' }).trim();
      expect(strftime('%Z|%z', new Date(seconds * 1000), seconds), `TZ=${tz} at ${seconds}`).toBe(expected);
    }
  }
});
