/**
 * The text of a notification: Finnish first, then Swedish and English (the register does not know
 * a person's language). It says how many extracts were made about the person on which day and
 * where to see who asked: no lender's name, no purpose, and never the identity code (the
 * delivery service addresses the message; its text may be read over a shoulder or forwarded).
 */

export interface MessageText {
  title: string;
  body: string;
}

/** 2026-11-14 → 14.11.2026, as dates are written in Finnish and Swedish. */
function finnishFormat(day: string): string {
  const [y, m, d] = day.split('-');
  return `${Number(d)}.${Number(m)}.${y}`;
}

/** The day before `day` (yyyy-mm-dd): the day of the extracts a notification of `day` tells of. */
export function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

export function notificationText(opts: { extractCount: number; extractDay: string; eserviceUrl?: string }): MessageText {
  const n = opts.extractCount;
  const day = finnishFormat(opts.extractDay);
  const where = opts.eserviceUrl;
  const fi = [
    `Positiivisesta luottotietorekisteristä luovutettiin tietojasi ${day} ${n === 1 ? 'kerran' : `${n} kertaa`}.`,
    `Kirjaudu rekisterin sähköiseen palveluun${where ? ` (${where})` : ''} nähdäksesi, kuka tietojasi pyysi ja mihin tarkoitukseen.`,
    'Jos et tunnista luovutusta, ota yhteyttä luotonantajaan tai rekisteriin.',
  ];
  const sv = [
    `Uppgifter om dig lämnades ut ur det positiva kreditupplysningsregistret den ${day} ${n === 1 ? 'en gång' : `${n} gånger`}.`,
    `Logga in i registrets e-tjänst${where ? ` (${where})` : ''} för att se vem som begärde uppgifterna och för vilket ändamål.`,
  ];
  const en = [
    `Your data in the positive credit register was disclosed ${n === 1 ? 'once' : `${n} times`} on ${opts.extractDay}.`,
    `Log in to the register's e-service${where ? ` (${where})` : ''} to see who asked for it and for what purpose.`,
  ];
  return {
    title: 'Tietojasi luovutettiin positiivisesta luottotietorekisteristä / Uppgifter om dig lämnades ut / Your credit data was disclosed',
    body: [fi.join('\n'), `På svenska:\n${sv.join('\n')}`, `In English:\n${en.join('\n')}`, 'Tähän viestiin ei voi vastata. / Detta meddelande kan inte besvaras. / This message cannot be replied to.'].join('\n\n'),
  };
}
