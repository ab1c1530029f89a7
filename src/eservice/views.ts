/**
 * The e-service's pages as HTML (issue 12): semantic, no script, no inline style (the
 * Content-Security-Policy forbids both), every value escaped. Finnish by default, Swedish and
 * English by the language switch. Pure functions of what they show.
 */
export const LANGUAGES = ['fi', 'sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const isLanguage = (s: unknown): s is Language => typeof s === 'string' && (LANGUAGES as readonly string[]).includes(s);

const TEXT = {
  fi: {
    service: 'Positiivinen luottotietorekisteri', lang: 'Suomeksi', skip: 'Siirry sisältöön', languageNav: 'Kieli', mainNav: 'Päävalikko',
    loans: 'Lainat', logout: 'Kirjaudu ulos', loggedOut: 'Olet kirjautunut ulos.', login: 'Kirjaudu sisään', welcome: 'Näet rekisteriin ilmoitetut tietosi, kun kirjaudut sisään vahvalla tunnistautumisella.',
    idpTitle: 'Testiympäristön tunnistautuminen', idpField: 'Henkilötunnus', idpButton: 'Kirjaudu', idpInvalid: 'Anna kelvollinen testihenkilötunnus (yksilönumero 900–999).',
    noLoans: 'Sinusta ei ole ilmoitettu voimassa olevia lainoja.', lender: 'Luotonantaja', loanType: 'Lainatyyppi', contractDate: 'Sopimuspäivä', currency: 'Valuutta',
    amount: 'Myönnetty määrä', balance: 'Jäljellä oleva pääoma', creditLimit: 'Luottoraja', delays: 'Maksuviiveet', none: 'Ei', notReported: 'Tietoa ei ilmoitettu',
    ban: 'Vapaaehtoinen luottokielto', banNone: 'Sinulla ei ole luottokieltoa.', banInForce: 'Luottokielto', reason: 'Syy', startDate: 'Alkaa', endDate: 'Päättyy (tyhjä: toistaiseksi)', indefinite: 'toistaiseksi',
    setBan: 'Aseta tai muuta luottokielto', saveBan: 'Tallenna luottokielto', removeBan: 'Poista luottokielto', consent: 'Suostumus luottotietoyhtiöille', consentOn: 'Olet antanut suostumuksen luottokiellon välittämiseen luottotietoyhtiöille.', consentOff: 'Et ole antanut suostumusta luottokiellon välittämiseen luottotietoyhtiöille.',
    giveConsent: 'Anna suostumus', withdrawConsent: 'Peru suostumus', consentWith: 'Välitä luottokielto luottotietoyhtiöille', saved: 'Muutos on tallennettu ja on voimassa heti.',
    RiskOfIdentityTheft: 'Identiteettivarkauden vaara', ControlOfPersonalFinances: 'Oman talouden hallinta', Other: 'Muu syy',
    total: 'Yhteensä', asked: 'Kuka on kysynyt', askedIntro: 'Luotonantajat, jotka ovat pyytäneet sinusta rekisteriotteen, uusin ensin.', noExtracts: 'Sinusta ei ole pyydetty rekisteriotteita.',
    date: 'Päivämäärä', purposes: 'Käyttötarkoitus', severalPurposes: 'Useita käyttötarkoituksia', open: 'Avaa ote', older: 'Vanhemmat', extract: 'Rekisteriote', received: 'Luotonantajan saama ote sellaisenaan:', back: 'Takaisin luetteloon', sessionEnded: 'Istuntosi on päättynyt. Kirjaudu uudelleen.', loginFailed: 'Kirjautuminen ei onnistunut. Yritä uudelleen.',
  },
  sv: {
    service: 'Positiva kreditupplysningsregistret', lang: 'På svenska', skip: 'Gå till innehållet', languageNav: 'Språk', mainNav: 'Huvudmeny',
    loans: 'Lån', logout: 'Logga ut', loggedOut: 'Du har loggat ut.', login: 'Logga in', welcome: 'Du ser uppgifterna om dig i registret när du loggar in med stark autentisering.',
    idpTitle: 'Identifiering i testmiljön', idpField: 'Personbeteckning', idpButton: 'Logga in', idpInvalid: 'Ange en giltig testpersonbeteckning (individnummer 900–999).',
    noLoans: 'Inga gällande lån har anmälts om dig.', lender: 'Kreditgivare', loanType: 'Lånetyp', contractDate: 'Avtalsdag', currency: 'Valuta',
    amount: 'Beviljat belopp', balance: 'Återstående kapital', creditLimit: 'Kreditgräns', delays: 'Betalningsdröjsmål', none: 'Nej', notReported: 'Uppgiften har inte anmälts',
    ban: 'Frivilligt kreditförbud', banNone: 'Du har inget kreditförbud.', banInForce: 'Kreditförbud', reason: 'Orsak', startDate: 'Börjar', endDate: 'Upphör (tomt: tills vidare)', indefinite: 'tills vidare',
    setBan: 'Ställ in eller ändra kreditförbud', saveBan: 'Spara kreditförbudet', removeBan: 'Ta bort kreditförbudet', consent: 'Samtycke till kreditupplysningsföretag', consentOn: 'Du har samtyckt till att kreditförbudet förmedlas till kreditupplysningsföretag.', consentOff: 'Du har inte samtyckt till att kreditförbudet förmedlas till kreditupplysningsföretag.',
    giveConsent: 'Ge samtycke', withdrawConsent: 'Återkalla samtycket', consentWith: 'Förmedla kreditförbudet till kreditupplysningsföretag', saved: 'Ändringen har sparats och gäller genast.',
    RiskOfIdentityTheft: 'Risk för identitetsstöld', ControlOfPersonalFinances: 'Kontroll över den egna ekonomin', Other: 'Annat skäl',
    total: 'Totalt', asked: 'Vem har frågat', askedIntro: 'Kreditgivare som har begärt ett registerutdrag om dig, det senaste först.', noExtracts: 'Inga registerutdrag har begärts om dig.',
    date: 'Datum', purposes: 'Ändamål', severalPurposes: 'Flera ändamål', open: 'Öppna utdraget', older: 'Äldre', extract: 'Registerutdrag', received: 'Utdraget som kreditgivaren fick, som det är:', back: 'Tillbaka till listan', sessionEnded: 'Din session har gått ut. Logga in igen.', loginFailed: 'Inloggningen misslyckades. Försök igen.',
  },
  en: {
    service: 'Positive Credit Register', lang: 'In English', skip: 'Skip to content', languageNav: 'Language', mainNav: 'Main menu',
    loans: 'Loans', logout: 'Log out', loggedOut: 'You have logged out.', login: 'Log in', welcome: 'Log in with strong identification to see what the register holds about you.',
    idpTitle: 'Test environment identification', idpField: 'Personal identity code', idpButton: 'Log in', idpInvalid: 'Enter a valid test personal identity code (individual number 900–999).',
    noLoans: 'No active loans have been reported about you.', lender: 'Lender', loanType: 'Loan type', contractDate: 'Contract date', currency: 'Currency',
    amount: 'Amount issued', balance: 'Outstanding balance', creditLimit: 'Credit limit', delays: 'Payment delays', none: 'None', notReported: 'No data reported',
    ban: 'Voluntary credit ban', banNone: 'You have no credit ban.', banInForce: 'Credit ban', reason: 'Reason', startDate: 'Starts', endDate: 'Ends (empty: until further notice)', indefinite: 'until further notice',
    setBan: 'Set or change your credit ban', saveBan: 'Save the credit ban', removeBan: 'Remove the credit ban', consent: 'Consent for credit information companies', consentOn: 'You have consented to your credit ban being passed to credit information companies.', consentOff: 'You have not consented to your credit ban being passed to credit information companies.',
    giveConsent: 'Give consent', withdrawConsent: 'Withdraw consent', consentWith: 'Pass the credit ban to credit information companies', saved: 'The change is saved and in force at once.',
    RiskOfIdentityTheft: 'Risk of identity theft', ControlOfPersonalFinances: 'Control of personal finances', Other: 'Other reason',
    total: 'Total', asked: 'Who has asked', askedIntro: 'Lenders who have requested a credit register extract about you, newest first.', noExtracts: 'No extract has been requested about you.',
    date: 'Date', purposes: 'Purpose', severalPurposes: 'Several purposes', open: 'Open the extract', older: 'Older', extract: 'Credit register extract', received: 'The extract exactly as the lender received it:', back: 'Back to the list', sessionEnded: 'Your session has ended. Please log in again.', loginFailed: 'The login did not succeed. Please try again.',
  },
} as const satisfies Record<Language, Record<string, string>>;

export type TextKey = keyof (typeof TEXT)['en'];
export const t = (language: Language, key: TextKey): string => TEXT[language][key];

export const esc = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The stylesheet (served as /style.css: the CSP allows no inline style). Contrast ≥ 4.5:1 throughout. */
export const STYLESHEET = `body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}
header,main,footer{padding:1rem 2rem;max-width:60rem}header{border-bottom:1px solid #595959}
a{color:#0b4f8a}a:focus,button:focus,input:focus{outline:3px solid #0b4f8a;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
nav ul{list-style:none;padding:0;display:flex;gap:1.5rem;flex-wrap:wrap}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #595959;padding:.4rem .6rem;text-align:left}
button{font:inherit;padding:.4rem 1rem;background:#0b4f8a;color:#fff;border:0;border-radius:4px;cursor:pointer}
label{display:block;margin:.5rem 0 .25rem}input{font:inherit;padding:.3rem}[role=alert]{color:#8a1c1c;font-weight:bold}`;

export interface Layout {
  language: Language;
  title: string;
  /** The path the language links point to (the same page in another language). */
  path: string;
  /** Logged in: the main menu and the logout form (its CSRF token). */
  session?: { csrfToken: string };
  body: string;
}

export function page(l: Layout): string {
  const langs = LANGUAGES.map((x) => x === l.language
    ? `<li><span lang="${x}" aria-current="true">${esc(t(x, 'lang'))}</span></li>`
    : `<li><a lang="${x}" hreflang="${x}" href="/language/${x}?next=${encodeURIComponent(l.path)}">${esc(t(x, 'lang'))}</a></li>`).join('');
  const menu = l.session
    ? `<nav aria-label="${esc(t(l.language, 'mainNav'))}"><ul><li><a href="/loans">${esc(t(l.language, 'loans'))}</a></li><li><a href="/extracts">${esc(t(l.language, 'asked'))}</a></li><li><a href="/ban">${esc(t(l.language, 'ban'))}</a></li></ul></nav>
<form method="post" action="/logout"><input type="hidden" name="csrfToken" value="${esc(l.session.csrfToken)}"><button type="submit">${esc(t(l.language, 'logout'))}</button></form>`
    : '';
  return `<!DOCTYPE html>
<html lang="${l.language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(l.title)} – ${esc(t(l.language, 'service'))}</title><link rel="stylesheet" href="/style.css"></head>
<body>
<a class="skip" href="#main">${esc(t(l.language, 'skip'))}</a>
<header><p>${esc(t(l.language, 'service'))}</p><nav aria-label="${esc(t(l.language, 'languageNav'))}"><ul>${langs}</ul></nav>${menu}</header>
<main id="main"><h1>${esc(l.title)}</h1>
${l.body}
</main>
</body>
</html>`;
}

/** The test identity provider's login page (test-idp.ts): the field "Personal identity code" and the button "Log in". */
export function loginPage(o: { language: Language; action: string | null; invalid?: boolean; error?: string }): string {
  const form = o.action
    ? `<form method="post" action="${esc(o.action)}" autocomplete="off">
<label for="personalIdentityCode">${esc(t(o.language, 'idpField'))}</label>
<input id="personalIdentityCode" name="personalIdentityCode" type="text" required spellcheck="false" autocapitalize="characters"${o.invalid ? ' aria-invalid="true" aria-describedby="error"' : ''}>
<p><button type="submit">${esc(t(o.language, 'idpButton'))}</button></p>
</form>`
    : '';
  const error = o.invalid ? `<p id="error" role="alert">${esc(t(o.language, 'idpInvalid'))}</p>` : o.error ? `<p role="alert">${esc(o.error)}</p>` : '';
  return `<!DOCTYPE html>
<html lang="${o.language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(t(o.language, 'idpTitle'))}</title><link rel="stylesheet" href="/style.css"></head>
<body><main id="main"><h1>${esc(t(o.language, 'idpTitle'))}</h1>${error}${form}</main></body>
</html>`;
}

/** The front page of a person not logged in. */
export function welcomePage(language: Language, formToken: string, notice?: TextKey): string {
  return page({
    language, title: t(language, 'login'), path: '/',
    body: `${notice ? `<p role="status">${esc(t(language, notice))}</p>` : ''}<p>${esc(t(language, 'welcome'))}</p>
<form method="post" action="/login"><input type="hidden" name="formToken" value="${esc(formToken)}"><button type="submit">${esc(t(language, 'login'))}</button></form>`,
  });
}

export interface LoanRow {
  lender: string;
  loanType: string;
  contractDate: string;
  currencyCode: string;
  amountIssued: string | null;
  balance: string | null;
  creditLimit: string | null;
  delayed: string | null;
}

/** Loans: the person's active loans as a borrower, grouped by type, with a total balance per currency. */
export function loansPage(language: Language, csrfToken: string, loans: LoanRow[], totals: { currencyCode: string; balance: string }[]): string {
  const cell = (v: string | null) => (v === null ? `<td>${esc(t(language, 'notReported'))}</td>` : `<td>${esc(v)}</td>`);
  const groups = [...new Set(loans.map((l) => l.loanType))];
  const tables = groups.map((type) => `<section><h2>${esc(type)}</h2>
<table><thead><tr><th scope="col">${esc(t(language, 'lender'))}</th><th scope="col">${esc(t(language, 'contractDate'))}</th><th scope="col">${esc(t(language, 'currency'))}</th><th scope="col">${esc(t(language, 'amount'))}</th><th scope="col">${esc(t(language, 'creditLimit'))}</th><th scope="col">${esc(t(language, 'balance'))}</th><th scope="col">${esc(t(language, 'delays'))}</th></tr></thead>
<tbody>${loans.filter((l) => l.loanType === type).map((l) => `<tr><td>${esc(l.lender)}</td><td>${esc(l.contractDate)}</td><td>${esc(l.currencyCode)}</td>${cell(l.amountIssued)}${cell(l.creditLimit)}${cell(l.balance)}<td>${esc(l.delayed ?? t(language, 'none'))}</td></tr>`).join('')}</tbody></table></section>`).join('\n');
  const total = totals.length > 0
    ? `<h2>${esc(t(language, 'total'))}</h2><table><tbody>${totals.map((x) => `<tr><th scope="row">${esc(x.currencyCode)}</th><td>${esc(x.balance)}</td></tr>`).join('')}</tbody></table>`
    : '';
  return page({ language, title: t(language, 'loans'), path: '/loans', session: { csrfToken }, body: loans.length === 0 ? `<p>${esc(t(language, 'noLoans'))}</p>` : `${tables}\n${total}` });
}

export interface AskedRow {
  extractReference: string;
  /** The Finnish date and time. */
  when: string;
  lender: string;
  purposes: string[];
}

/** Who has asked: the extracts about the person, a page at a time, each opening to its content. */
export function extractsPage(language: Language, csrfToken: string, rows: AskedRow[], older: string | null): string {
  const purpose = (p: string[]) => (p.length === 1 ? p[0]! : t(language, 'severalPurposes'));
  const body = rows.length === 0
    ? `<p>${esc(t(language, 'noExtracts'))}</p>`
    : `<p>${esc(t(language, 'askedIntro'))}</p>
<table><thead><tr><th scope="col">${esc(t(language, 'date'))}</th><th scope="col">${esc(t(language, 'lender'))}</th><th scope="col">${esc(t(language, 'purposes'))}</th><th scope="col">${esc(t(language, 'extract'))}</th></tr></thead>
<tbody>${rows.map((r) => `<tr><td>${esc(r.when)}</td><td>${esc(r.lender)}</td><td>${esc(purpose(r.purposes))}</td><td><a href="/extracts/${esc(r.extractReference)}">${esc(t(language, 'open'))}<span class="skip"> ${esc(r.when)} ${esc(r.lender)}</span></a></td></tr>`).join('')}</tbody></table>
${older ? `<p><a href="/extracts?before=${encodeURIComponent(older)}">${esc(t(language, 'older'))}</a></p>` : ''}`;
  return page({ language, title: t(language, 'asked'), path: '/extracts', session: { csrfToken }, body });
}

/** One extract, exactly as the lender received it. */
export function extractPage(language: Language, csrfToken: string, row: AskedRow, content: string): string {
  let shown = content;
  try {
    shown = JSON.stringify(JSON.parse(content), null, 2);
  } catch {
    // shown as stored
  }
  return page({
    language, title: `${t(language, 'extract')} ${row.when}`, path: '/extracts', session: { csrfToken },
    body: `<p>${esc(row.lender)}</p><p>${esc(t(language, 'received'))}</p><pre>${esc(shown)}</pre><p><a href="/extracts">${esc(t(language, 'back'))}</a></p>`,
  });
}

export interface BanView {
  ban: { reason: 'RiskOfIdentityTheft' | 'ControlOfPersonalFinances' | 'Other'; startDate: string; endDate: string | null } | null;
  consent: boolean;
}

const REASONS = ['RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other'] as const;

/** The voluntary ban: what is in force, a form to set or change it, removing it, and the consent on its own. */
export function banPage(language: Language, csrfToken: string, state: BanView, today: string, notice?: { saved?: boolean; error?: string }): string {
  const csrf = `<input type="hidden" name="csrfToken" value="${esc(csrfToken)}">`;
  const current = state.ban
    ? `<dl><dt>${esc(t(language, 'reason'))}</dt><dd>${esc(t(language, state.ban.reason))}</dd><dt>${esc(t(language, 'startDate'))}</dt><dd>${esc(state.ban.startDate)}</dd>
<dt>${esc(t(language, 'endDate'))}</dt><dd>${esc(state.ban.endDate ?? t(language, 'indefinite'))}</dd></dl>
<form method="post" action="/ban/remove">${csrf}<button type="submit">${esc(t(language, 'removeBan'))}</button></form>`
    : `<p>${esc(t(language, 'banNone'))}</p>`;
  const reasons = REASONS.map((r) => `<div><input type="radio" id="reason-${r}" name="reason" value="${r}"${(state.ban?.reason ?? 'ControlOfPersonalFinances') === r ? ' checked' : ''}><label for="reason-${r}">${esc(t(language, r))}</label></div>`).join('');
  const form = `<h2>${esc(t(language, 'setBan'))}</h2>
<form method="post" action="/ban">${csrf}
<fieldset><legend>${esc(t(language, 'reason'))}</legend>${reasons}</fieldset>
<label for="startDate">${esc(t(language, 'startDate'))}</label><input type="date" id="startDate" name="startDate" value="${esc(state.ban?.startDate ?? today)}" required>
<label for="endDate">${esc(t(language, 'endDate'))}</label><input type="date" id="endDate" name="endDate" value="${esc(state.ban?.endDate ?? '')}">
<div><input type="checkbox" id="consentWith" name="consent" value="yes"${state.consent ? ' checked' : ''}><label for="consentWith">${esc(t(language, 'consentWith'))}</label></div>
<p><button type="submit">${esc(t(language, 'saveBan'))}</button></p></form>`;
  const consent = `<h2>${esc(t(language, 'consent'))}</h2><p>${esc(t(language, state.consent ? 'consentOn' : 'consentOff'))}</p>
<form method="post" action="/ban/consent">${csrf}<input type="hidden" name="give" value="${state.consent ? 'no' : 'yes'}"><button type="submit">${esc(t(language, state.consent ? 'withdrawConsent' : 'giveConsent'))}</button></form>`;
  const message = notice?.error ? `<p role="alert">${esc(notice.error)}</p>` : notice?.saved ? `<p role="status">${esc(t(language, 'saved'))}</p>` : '';
  return page({ language, title: t(language, 'ban'), path: '/ban', session: { csrfToken }, body: `${message}<h2>${esc(t(language, 'banInForce'))}</h2>${current}\n${form}\n${consent}` });
}
