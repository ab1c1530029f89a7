/**
 * The e-service's pages as HTML (issue 12): semantic, no script, no inline style (the
 * Content-Security-Policy forbids both), every value escaped. Finnish by default, Swedish and
 * English by the language switch; the register's codes (loan types, purposes, …) in words.
 * Pure functions of what they show.
 */
export const LANGUAGES = ['fi', 'sv', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const isLanguage = (s: unknown): s is Language => typeof s === 'string' && (LANGUAGES as readonly string[]).includes(s);

const TEXT = {
  fi: {
    service: 'Positiivinen luottotietorekisteri', lang: 'Suomeksi', skip: 'Siirry sisältöön', languageNav: 'Kieli', mainNav: 'Päävalikko',
    loans: 'Lainat', logout: 'Kirjaudu ulos', loggedOut: 'Olet kirjautunut ulos.', login: 'Kirjaudu sisään', welcome: 'Näet rekisteriin ilmoitetut tietosi, kun kirjaudut sisään vahvalla tunnistautumisella.',
    idpTitle: 'Testiympäristön tunnistautuminen', idpField: 'Henkilötunnus', idpButton: 'Kirjaudu', idpInvalid: 'Anna kelvollinen testihenkilötunnus (yksilönumero 900–999).',
    idpLogoutTitle: 'Uloskirjautuminen tunnistuspalvelusta', idpLogoutQuestion: 'Haluatko kirjautua ulos myös testiympäristön tunnistuspalvelusta?', idpLogoutYes: 'Kyllä, kirjaudu ulos', idpLogoutNo: 'Ei, pysy kirjautuneena',
    idpLoggedOut: 'Olet kirjautunut ulos tunnistuspalvelusta.', idpBack: 'Palaa palvelun etusivulle',
    noLoans: 'Sinusta ei ole ilmoitettu voimassa olevia lainoja.', loansIntro: 'Voimassa olevat lainasi, joissa olet velallinen, sellaisina kuin luotonantajat ovat ne ilmoittaneet.', lender: 'Luotonantaja', loanType: 'Lainatyyppi', contractDate: 'Sopimuspäivä', currency: 'Valuutta',
    amount: 'Myönnetty määrä', balance: 'Jäljellä oleva pääoma', creditLimit: 'Luottoraja', monthlyInstalment: 'Kuukausierä', contractEnd: 'Sopimuskausi päättyy', interest: 'Korko', interestRate: 'Kokonaiskorko', interestType: 'Koron tyyppi',
    repayment: 'Takaisinmaksutapa', frequency: 'Lyhennysväli', finalDueDate: 'Viimeinen eräpäivä', debtArrangement: 'Velkajärjestely tai yrityssaneeraus', yes: 'Kyllä', no: 'Ei',
    delays: 'Maksuviiveet', delayedSince: 'vanhin erääntynyt', foreclosed: 'Erääntynyt kokonaan maksettavaksi', deferments: 'Lyhennysvapaat', borrowers: 'Velallisia', none: 'Ei', notReported: 'Tietoa ei ilmoitettu',
    ban: 'Vapaaehtoinen luottokielto', banNone: 'Sinulla ei ole luottokieltoa.', banInForce: 'Luottokielto', reason: 'Syy', startDate: 'Alkaa', endDate: 'Päättyy (tyhjä: toistaiseksi)', ends: 'Päättyy', indefinite: 'toistaiseksi',
    setBan: 'Aseta tai muuta luottokielto', saveBan: 'Tallenna luottokielto', removeBan: 'Poista luottokielto', removeBanQuestion: 'Poistetaanko luottokielto?', removeBanEffect: 'Luottokielto päättyy heti, eikä se enää näy rekisteriotteissa. Jos olet antanut suostumuksen sen välittämiseen luottotietoyhtiöille, niille ilmoitetaan poistosta.', removeBanYes: 'Kyllä, poista luottokielto', cancel: 'Peruuta', consent: 'Suostumus luottotietoyhtiöille', consentOn: 'Olet antanut suostumuksen luottokiellon välittämiseen luottotietoyhtiöille.', consentOff: 'Et ole antanut suostumusta luottokiellon välittämiseen luottotietoyhtiöille.',
    giveConsent: 'Anna suostumus', withdrawConsent: 'Peru suostumus', consentWith: 'Välitä luottokielto luottotietoyhtiöille', saved: 'Muutos on tallennettu ja on voimassa heti.',
    RiskOfIdentityTheft: 'Identiteettivarkauden vaara', ControlOfPersonalFinances: 'Oman talouden hallinta', Other: 'Muu syy',
    total: 'Yhteensä', totalIntro: 'Jäljellä oleva pääoma yhteensä valuutoittain (lainat, joista luotonantaja on sen ilmoittanut).',
    asked: 'Kuka on kysynyt', askedIntro: 'Luotonantajat, jotka ovat pyytäneet sinusta rekisteriotteen, uusin ensin.', noExtracts: 'Sinusta ei ole pyydetty rekisteriotteita.',
    extractsHeading: 'Luotonantajien pyytämät rekisteriotteet', authoritiesHeading: 'Viranomaisille luovutetut tiedot', authoritiesIntro: 'Viranomaiset, joille tietojasi on luovutettu, uusin ensin.', noAuthorities: 'Tietojasi ei ole luovutettu viranomaisille.',
    authority: 'Viranomainen', legalBasis: 'Oikeusperuste', caseReference: 'Asianumero',
    companiesHeading: 'Luottokiellon välitys luottotietoyhtiöille', companiesIntro: 'Luottotietoyhtiöt, jotka ovat saaneet luottokieltosi tiedon suostumuksellasi, uusin ensin.', noCompanies: 'Luottokieltoasi ei ole välitetty luottotietoyhtiöille.',
    company: 'Luottotietoyhtiö', whatPassed: 'Välitetty tieto', Set: 'Luottokielto asetettu', Changed: 'Luottokieltoa muutettu', Removed: 'Luottokielto poistettu', ConsentWithdrawn: 'Suostumus peruttu',
    date: 'Päivämäärä', purposes: 'Käyttötarkoitus', severalPurposes: 'Useita käyttötarkoituksia', open: 'Avaa ote', older: 'Vanhemmat', newest: 'Uusimmat', snapshotOf: 'Tiedot kaikista luotoista {date}', extract: 'Rekisteriote', received: 'Luotonantajan saama ote sellaisenaan:', back: 'Takaisin luetteloon', sessionEnded: 'Istuntosi on päättynyt. Kirjaudu uudelleen.', loginFailed: 'Kirjautuminen ei onnistunut. Yritä uudelleen.',
    guarantees: 'Takaukset', guaranteesIntro: 'Voimassa olevat lainat, joiden takaaja olet.', noGuarantees: 'Sinusta ei ole ilmoitettu takauksia.',
    income: 'Tulotiedot', incomeIntro: 'Tulorekisterin tiedot viimeiseltä kahdeltatoista täydeltä kuukaudelta, sellaisina kuin ne näkyvät rekisteriotteella.', noIncome: 'Rekisterissä ei ole tulotietojasi viimeiseltä kahdeltatoista kuukaudelta.',
    month: 'Kuukausi', wagesGross: 'Palkat brutto', wagesNet: 'Palkat netto', benefitsGross: 'Etuudet brutto', benefitsNet: 'Etuudet netto', accuracyDenied: 'Kiistetty', disputed: 'Tietojen oikeellisuus on kiistetty',
    notifications: 'Ilmoitukset', notificationsOn: 'Saat ilmoituksen, kun sinusta on pyydetty rekisteriote: seuraavana päivänä, enintään kerran päivässä.', notificationsOff: 'Et saa ilmoituksia sinusta pyydetyistä rekisteriotteista.',
    switchOff: 'Lopeta ilmoitukset', switchOn: 'Ota ilmoitukset käyttöön', notificationsNote: 'Näet kaikki pyydetyt otteet aina sivulla Kuka on kysynyt.',
    accessibility: 'Saavutettavuusseloste', error: 'Virhe',
    forbiddenTitle: 'Pyyntö hylättiin', forbidden: 'Lomaketta ei voitu käsitellä: se ei tullut tämän palvelun sivulta, tai sivu oli vanhentunut. Palaa palveluun ja yritä uudelleen.',
    notFoundTitle: 'Sivua ei löytynyt', notFound: 'Hakemaasi sivua ei löytynyt. Tarkista osoite tai palaa etusivulle.',
    badRequestTitle: 'Pyyntöä ei voitu käsitellä', badRequest: 'Palaa edelliselle sivulle ja yritä uudelleen.',
    serverErrorTitle: 'Jokin meni vikaan', serverError: 'Palvelussa tapahtui virhe. Yritä hetken kuluttua uudelleen.',
    unavailableTitle: 'Palvelu ei ole juuri nyt käytettävissä', unavailable: 'Yritä hetken kuluttua uudelleen.', toFrontPage: 'Etusivulle',
    errorReason: 'Valitse luottokiellon syy.', errorStartDate: 'Anna alkamispäivä muodossa vvvv-kk-pp.', errorEndDate: 'Anna päättymispäivä muodossa vvvv-kk-pp tai jätä kenttä tyhjäksi.', errorEndBeforeStart: 'Päättymispäivä ei voi olla ennen alkamispäivää.', errorEndPast: 'Päättymispäivä ei voi olla menneisyydessä.', errorBan: 'Luottokieltoa ei voitu tallentaa. Tarkista tiedot.',
  },
  sv: {
    service: 'Positiva kreditupplysningsregistret', lang: 'På svenska', skip: 'Gå till innehållet', languageNav: 'Språk', mainNav: 'Huvudmeny',
    loans: 'Lån', logout: 'Logga ut', loggedOut: 'Du har loggat ut.', login: 'Logga in', welcome: 'Du ser uppgifterna om dig i registret när du loggar in med stark autentisering.',
    idpTitle: 'Identifiering i testmiljön', idpField: 'Personbeteckning', idpButton: 'Logga in', idpInvalid: 'Ange en giltig testpersonbeteckning (individnummer 900–999).',
    idpLogoutTitle: 'Utloggning från identifieringstjänsten', idpLogoutQuestion: 'Vill du logga ut även från testmiljöns identifieringstjänst?', idpLogoutYes: 'Ja, logga ut', idpLogoutNo: 'Nej, förbli inloggad',
    idpLoggedOut: 'Du har loggat ut från identifieringstjänsten.', idpBack: 'Tillbaka till tjänstens startsida',
    noLoans: 'Inga gällande lån har anmälts om dig.', loansIntro: 'Dina gällande lån där du är gäldenär, så som kreditgivarna har anmält dem.', lender: 'Kreditgivare', loanType: 'Lånetyp', contractDate: 'Avtalsdag', currency: 'Valuta',
    amount: 'Beviljat belopp', balance: 'Återstående kapital', creditLimit: 'Kreditgräns', monthlyInstalment: 'Månadsrat', contractEnd: 'Avtalsperioden upphör', interest: 'Ränta', interestRate: 'Total ränta', interestType: 'Räntetyp',
    repayment: 'Amorteringssätt', frequency: 'Amorteringsintervall', finalDueDate: 'Sista förfallodag', debtArrangement: 'Skuldsanering eller företagssanering', yes: 'Ja', no: 'Nej',
    delays: 'Betalningsdröjsmål', delayedSince: 'äldsta förfallet', foreclosed: 'Hela lånet har förfallit till betalning', deferments: 'Amorteringsfria perioder', borrowers: 'Gäldenärer', none: 'Nej', notReported: 'Uppgiften har inte anmälts',
    ban: 'Frivilligt kreditförbud', banNone: 'Du har inget kreditförbud.', banInForce: 'Kreditförbud', reason: 'Orsak', startDate: 'Börjar', endDate: 'Upphör (tomt: tills vidare)', ends: 'Upphör', indefinite: 'tills vidare',
    setBan: 'Ställ in eller ändra kreditförbud', saveBan: 'Spara kreditförbudet', removeBan: 'Ta bort kreditförbudet', removeBanQuestion: 'Ta bort kreditförbudet?', removeBanEffect: 'Kreditförbudet upphör genast och syns inte längre i registerutdrag. Om du har samtyckt till att det förmedlas till kreditupplysningsföretag, meddelas de att det har tagits bort.', removeBanYes: 'Ja, ta bort kreditförbudet', cancel: 'Avbryt', consent: 'Samtycke till kreditupplysningsföretag', consentOn: 'Du har samtyckt till att kreditförbudet förmedlas till kreditupplysningsföretag.', consentOff: 'Du har inte samtyckt till att kreditförbudet förmedlas till kreditupplysningsföretag.',
    giveConsent: 'Ge samtycke', withdrawConsent: 'Återkalla samtycket', consentWith: 'Förmedla kreditförbudet till kreditupplysningsföretag', saved: 'Ändringen har sparats och gäller genast.',
    RiskOfIdentityTheft: 'Risk för identitetsstöld', ControlOfPersonalFinances: 'Kontroll över den egna ekonomin', Other: 'Annat skäl',
    total: 'Totalt', totalIntro: 'Återstående kapital totalt per valuta (lån för vilka kreditgivaren har anmält det).',
    asked: 'Vem har frågat', askedIntro: 'Kreditgivare som har begärt ett registerutdrag om dig, det senaste först.', noExtracts: 'Inga registerutdrag har begärts om dig.',
    extractsHeading: 'Registerutdrag som kreditgivare har begärt', authoritiesHeading: 'Uppgifter som lämnats ut till myndigheter', authoritiesIntro: 'Myndigheter som har fått dina uppgifter, det senaste först.', noAuthorities: 'Dina uppgifter har inte lämnats ut till myndigheter.',
    authority: 'Myndighet', legalBasis: 'Rättslig grund', caseReference: 'Ärendenummer',
    companiesHeading: 'Kreditförbudet förmedlat till kreditupplysningsföretag', companiesIntro: 'Kreditupplysningsföretag som med ditt samtycke har fått uppgiften om ditt kreditförbud, det senaste först.', noCompanies: 'Ditt kreditförbud har inte förmedlats till kreditupplysningsföretag.',
    company: 'Kreditupplysningsföretag', whatPassed: 'Förmedlad uppgift', Set: 'Kreditförbud inställt', Changed: 'Kreditförbudet ändrat', Removed: 'Kreditförbudet borttaget', ConsentWithdrawn: 'Samtycket återkallat',
    date: 'Datum', purposes: 'Ändamål', severalPurposes: 'Flera ändamål', open: 'Öppna utdraget', older: 'Äldre', newest: 'Nyaste', snapshotOf: 'Uppgifter om alla krediter {date}', extract: 'Registerutdrag', received: 'Utdraget som kreditgivaren fick, som det är:', back: 'Tillbaka till listan', sessionEnded: 'Din session har gått ut. Logga in igen.', loginFailed: 'Inloggningen misslyckades. Försök igen.',
    guarantees: 'Borgen', guaranteesIntro: 'Gällande lån för vilka du har gått i borgen.', noGuarantees: 'Inga borgensåtaganden har anmälts om dig.',
    income: 'Inkomstuppgifter', incomeIntro: 'Inkomstregistrets uppgifter för de tolv senaste hela månaderna, så som de visas på ett registerutdrag.', noIncome: 'Registret har inga inkomstuppgifter om dig för de tolv senaste månaderna.',
    month: 'Månad', wagesGross: 'Löner brutto', wagesNet: 'Löner netto', benefitsGross: 'Förmåner brutto', benefitsNet: 'Förmåner netto', accuracyDenied: 'Bestridd', disputed: 'Uppgifternas riktighet har bestridits',
    notifications: 'Meddelanden', notificationsOn: 'Du får ett meddelande när ett registerutdrag har begärts om dig: följande dag, högst en gång om dagen.', notificationsOff: 'Du får inga meddelanden om registerutdrag som begärts om dig.',
    switchOff: 'Sluta skicka meddelanden', switchOn: 'Börja skicka meddelanden', notificationsNote: 'Du ser alltid alla begärda utdrag på sidan Vem har frågat.',
    accessibility: 'Tillgänglighetsutlåtande', error: 'Fel',
    forbiddenTitle: 'Begäran avvisades', forbidden: 'Formuläret kunde inte behandlas: det kom inte från den här tjänstens sida, eller sidan var för gammal. Gå tillbaka till tjänsten och försök igen.',
    notFoundTitle: 'Sidan hittades inte', notFound: 'Sidan du sökte hittades inte. Kontrollera adressen eller gå tillbaka till startsidan.',
    badRequestTitle: 'Begäran kunde inte behandlas', badRequest: 'Gå tillbaka till föregående sida och försök igen.',
    serverErrorTitle: 'Något gick fel', serverError: 'Ett fel inträffade i tjänsten. Försök igen om en stund.',
    unavailableTitle: 'Tjänsten är inte tillgänglig just nu', unavailable: 'Försök igen om en stund.', toFrontPage: 'Till startsidan',
    errorReason: 'Välj en orsak till kreditförbudet.', errorStartDate: 'Ange startdagen i formatet åååå-mm-dd.', errorEndDate: 'Ange slutdagen i formatet åååå-mm-dd eller lämna fältet tomt.', errorEndBeforeStart: 'Slutdagen kan inte vara före startdagen.', errorEndPast: 'Slutdagen kan inte ligga i det förflutna.', errorBan: 'Kreditförbudet kunde inte sparas. Kontrollera uppgifterna.',
  },
  en: {
    service: 'Positive Credit Register', lang: 'In English', skip: 'Skip to content', languageNav: 'Language', mainNav: 'Main menu',
    loans: 'Loans', logout: 'Log out', loggedOut: 'You have logged out.', login: 'Log in', welcome: 'Log in with strong identification to see what the register holds about you.',
    idpTitle: 'Test environment identification', idpField: 'Personal identity code', idpButton: 'Log in', idpInvalid: 'Enter a valid test personal identity code (individual number 900–999).',
    idpLogoutTitle: 'Logging out of the identification service', idpLogoutQuestion: 'Do you want to log out of the test environment’s identification service too?', idpLogoutYes: 'Yes, log out', idpLogoutNo: 'No, stay logged in',
    idpLoggedOut: 'You have logged out of the identification service.', idpBack: 'Back to the service’s front page',
    noLoans: 'No active loans have been reported about you.', loansIntro: 'Your active loans where you are a borrower, as the lenders reported them.', lender: 'Lender', loanType: 'Loan type', contractDate: 'Contract date', currency: 'Currency',
    amount: 'Amount issued', balance: 'Outstanding balance', creditLimit: 'Credit limit', monthlyInstalment: 'Monthly instalment', contractEnd: 'Contract period ends', interest: 'Interest', interestRate: 'Total interest rate', interestType: 'Interest type',
    repayment: 'Repayment method', frequency: 'Repayment interval', finalDueDate: 'Final due date', debtArrangement: 'Debt arrangement or restructuring', yes: 'Yes', no: 'No',
    delays: 'Payment delays', delayedSince: 'oldest due', foreclosed: 'The whole loan has fallen due', deferments: 'Repayment holidays', borrowers: 'Debtors', none: 'None', notReported: 'No data reported',
    ban: 'Voluntary credit ban', banNone: 'You have no credit ban.', banInForce: 'Credit ban', reason: 'Reason', startDate: 'Starts', endDate: 'Ends (empty: until further notice)', ends: 'Ends', indefinite: 'until further notice',
    setBan: 'Set or change your credit ban', saveBan: 'Save the credit ban', removeBan: 'Remove the credit ban', removeBanQuestion: 'Remove the credit ban?', removeBanEffect: 'The ban ends at once, and extracts no longer show it. If you have consented to passing it to credit information companies, they are told that it was removed.', removeBanYes: 'Yes, remove the credit ban', cancel: 'Cancel', consent: 'Consent for credit information companies', consentOn: 'You have consented to your credit ban being passed to credit information companies.', consentOff: 'You have not consented to your credit ban being passed to credit information companies.',
    giveConsent: 'Give consent', withdrawConsent: 'Withdraw consent', consentWith: 'Pass the credit ban to credit information companies', saved: 'The change is saved and in force at once.',
    RiskOfIdentityTheft: 'Risk of identity theft', ControlOfPersonalFinances: 'Control of personal finances', Other: 'Other reason',
    total: 'Total', totalIntro: 'The outstanding balance in total per currency (of the loans whose lender reported it).',
    asked: 'Who has asked', askedIntro: 'Lenders who have requested a credit register extract about you, newest first.', noExtracts: 'No extract has been requested about you.',
    extractsHeading: 'Extracts requested by lenders', authoritiesHeading: 'Data delivered to authorities', authoritiesIntro: 'Authorities that have received your data, newest first.', noAuthorities: 'Your data has not been delivered to any authority.',
    authority: 'Authority', legalBasis: 'Legal basis', caseReference: 'Case reference',
    companiesHeading: 'Your credit ban passed to credit information companies', companiesIntro: 'Credit information companies that received your credit ban with your consent, newest first.', noCompanies: 'Your credit ban has not been passed to any credit information company.',
    company: 'Credit information company', whatPassed: 'What was passed', Set: 'Credit ban set', Changed: 'Credit ban changed', Removed: 'Credit ban removed', ConsentWithdrawn: 'Consent withdrawn',
    date: 'Date', purposes: 'Purpose', severalPurposes: 'Several purposes', open: 'Open the extract', older: 'Older', newest: 'Newest', snapshotOf: 'Loan stock snapshot of {date}', extract: 'Credit register extract', received: 'The extract exactly as the lender received it:', back: 'Back to the list', sessionEnded: 'Your session has ended. Please log in again.', loginFailed: 'The login did not succeed. Please try again.',
    guarantees: 'Guarantees', guaranteesIntro: 'Active loans for which you are a guarantor.', noGuarantees: 'No guarantees have been reported about you.',
    income: 'Income', incomeIntro: 'The Incomes Register data of the last twelve full months, as a credit register extract shows it.', noIncome: 'The register holds no income data about you for the last twelve months.',
    month: 'Month', wagesGross: 'Wages, gross', wagesNet: 'Wages, net', benefitsGross: 'Benefits, gross', benefitsNet: 'Benefits, net', accuracyDenied: 'Disputed', disputed: 'The accuracy of the data is disputed',
    notifications: 'Notifications', notificationsOn: 'You are notified when a credit register extract has been requested about you: the next day, at most once a day.', notificationsOff: 'You are not notified of extracts requested about you.',
    switchOff: 'Switch notifications off', switchOn: 'Switch notifications on', notificationsNote: 'You can always see every extract requested on the Who has asked page.',
    accessibility: 'Accessibility statement', error: 'Error',
    forbiddenTitle: 'The request was refused', forbidden: 'The form could not be handled: it did not come from this service’s page, or the page was out of date. Go back to the service and try again.',
    notFoundTitle: 'Page not found', notFound: 'The page you asked for was not found. Check the address or go back to the front page.',
    badRequestTitle: 'The request could not be handled', badRequest: 'Go back to the previous page and try again.',
    serverErrorTitle: 'Something went wrong', serverError: 'An error occurred in the service. Please try again in a moment.',
    unavailableTitle: 'The service is temporarily unavailable', unavailable: 'Please try again in a moment.', toFrontPage: 'To the front page',
    errorReason: 'Choose a reason for the credit ban.', errorStartDate: 'Enter the start date as yyyy-mm-dd.', errorEndDate: 'Enter the end date as yyyy-mm-dd, or leave it empty.', errorEndBeforeStart: 'The end date cannot be before the start date.', errorEndPast: 'The end date cannot be in the past.', errorBan: 'The credit ban could not be saved. Please check the details.',
  },
} as const satisfies Record<Language, Record<string, string>>;

/** The register's codes in words. */
const CODES = {
  fi: {
    LumpSumLoan: 'Kertaluotto', RunningAccountLoan: 'Jatkuvaluotto', Leasing: 'Leasingsopimus', GuaranteeReceivable: 'Takaussaatava',
    NewConsumerCredit: 'Uusi kuluttajaluotto', IncreaseOfConsumerCreditPrincipalOrCreditLimit: 'Kuluttajaluoton pääoman tai luottorajan korotus', ChangesToTermsOfConsumerCredit: 'Kuluttajaluoton ehtojen muutos',
    GuaranteeOrThirdPartyPledgeForConsumerCredit: 'Takaus tai vierasvakuus kuluttajaluotolle', NewLoan: 'Uusi luotto', IncreaseOfLoanPrincipalOrCreditLimit: 'Luoton pääoman tai luottorajan korotus',
    ChangesToTerms: 'Luoton ehtojen muutos', GuaranteeOrThirdPartyPledge: 'Takaus tai vierasvakuus',
    Euribor: 'Euribor', BankReferenceRate: 'Pankin viitekorko', OtherVariableReferenceRate: 'Muu vaihtuva viitekorko', FixedInterest: 'Kiinteä korko', InterestFree: 'Koroton',
    FixedSizeAmortizations: 'Tasalyhennys', FixedSizePayments: 'Tasaerä', Annuities: 'Annuiteetti', Balloon: 'Suuri loppuerä', Bullet: 'Kertalyhennys', Other: 'Muu',
  },
  sv: {
    LumpSumLoan: 'Engångskredit', RunningAccountLoan: 'Fortlöpande kredit', Leasing: 'Leasingavtal', GuaranteeReceivable: 'Borgensfordran',
    NewConsumerCredit: 'Ny konsumentkredit', IncreaseOfConsumerCreditPrincipalOrCreditLimit: 'Höjning av konsumentkreditens kapital eller kreditgräns', ChangesToTermsOfConsumerCredit: 'Ändring av villkoren för en konsumentkredit',
    GuaranteeOrThirdPartyPledgeForConsumerCredit: 'Borgen eller tredjemanspant för en konsumentkredit', NewLoan: 'Ny kredit', IncreaseOfLoanPrincipalOrCreditLimit: 'Höjning av kreditens kapital eller kreditgräns',
    ChangesToTerms: 'Ändring av kreditvillkoren', GuaranteeOrThirdPartyPledge: 'Borgen eller tredjemanspant',
    Euribor: 'Euribor', BankReferenceRate: 'Bankens referensränta', OtherVariableReferenceRate: 'Annan rörlig referensränta', FixedInterest: 'Fast ränta', InterestFree: 'Räntefri',
    FixedSizeAmortizations: 'Jämn amortering', FixedSizePayments: 'Fast betalningsbelopp', Annuities: 'Annuitet', Balloon: 'Stor slutbetalning', Bullet: 'Engångsamortering', Other: 'Annat',
  },
  en: {
    LumpSumLoan: 'Lump-sum loan', RunningAccountLoan: 'Running account credit', Leasing: 'Leasing contract', GuaranteeReceivable: 'Guarantee receivable',
    NewConsumerCredit: 'New consumer credit', IncreaseOfConsumerCreditPrincipalOrCreditLimit: 'Increase of a consumer credit’s principal or credit limit', ChangesToTermsOfConsumerCredit: 'Change of a consumer credit’s terms',
    GuaranteeOrThirdPartyPledgeForConsumerCredit: 'Guarantee or third-party pledge for a consumer credit', NewLoan: 'New loan', IncreaseOfLoanPrincipalOrCreditLimit: 'Increase of a loan’s principal or credit limit',
    ChangesToTerms: 'Change of a loan’s terms', GuaranteeOrThirdPartyPledge: 'Guarantee or third-party pledge',
    Euribor: 'Euribor', BankReferenceRate: 'Bank’s reference rate', OtherVariableReferenceRate: 'Other variable reference rate', FixedInterest: 'Fixed interest', InterestFree: 'Interest-free',
    FixedSizeAmortizations: 'Fixed-size amortisations', FixedSizePayments: 'Fixed-size payments', Annuities: 'Annuity', Balloon: 'Balloon', Bullet: 'Bullet (repaid at once)', Other: 'Other',
  },
} as const satisfies Record<Language, Record<string, string>>;

export type TextKey = keyof (typeof TEXT)['en'];
export const t = (language: Language, key: TextKey): string => TEXT[language][key];
/** A code in words (the code itself where it has none). */
export const code = (language: Language, value: string): string => (CODES[language] as Record<string, string>)[value] ?? value;

export const esc = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * An amount (decimal text, as reported) in the language's notation, with two decimals: exact,
 * from the digits (fi and sv: 8 400,50; en: 8,400.50). Not a number: never rounded.
 */
export function formatAmount(value: string, language: Language): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return value;
  const [, sign, whole, fraction = ''] = m;
  const group = language === 'en' ? ',' : '\u00a0';
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${sign}${grouped}${language === 'en' ? '.' : ','}${fraction.padEnd(2, '0')}`;
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A date yyyy-mm-dd as a person reads it: 2.12.2026 (fi, sv), 2 December 2026 (en). */
export function formatDate(iso: string, language: Language): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  const [, y, mo, d] = m;
  return language === 'en' ? `${Number(d)} ${MONTHS_EN[Number(mo) - 1]} ${y}` : `${Number(d)}.${Number(mo)}.${y}`;
}

/** A Finnish date and time "yyyy-mm-dd hh:mm": 2.12.2026 klo 10.15, 2.12.2026 kl. 10.15, 2 December 2026 at 10:15. */
export function formatWhen(when: string, language: Language): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2})$/.exec(when);
  if (!m) return when;
  const date = formatDate(m[1]!, language);
  return language === 'en' ? `${date} at ${m[2]}:${m[3]}` : `${date} ${language === 'fi' ? 'klo' : 'kl.'} ${m[2]}.${m[3]}`;
}

/** A repayment interval in months, in words: every month, every 3 months. */
function everyMonths(n: number, language: Language): string {
  if (language === 'fi') return n === 1 ? 'kuukausittain' : `${n} kuukauden välein`;
  if (language === 'sv') return n === 1 ? 'varje månad' : `var ${n}:e månad`;
  return n === 1 ? 'every month' : `every ${n} months`;
}

/** A table in a region that scrolls sideways on a narrow screen (WCAG 1.4.10), named by the heading `labelledBy`, reachable by keyboard. */
const scrolling = (labelledBy: string, table: string) => `<div class="scroll" role="region" tabindex="0" aria-labelledby="${labelledBy}">${table}</div>`;
/** The same, named by a text (a page whose only heading is its h1). */
const scrollingNamed = (name: string, table: string) => `<div class="scroll" role="region" tabindex="0" aria-label="${esc(name)}">${table}</div>`;

/** A month yyyy-mm: 11/2026 (fi, sv), November 2026 (en). */
const formatMonth = (month: string, language: Language) =>
  language === 'en' ? `${MONTHS_EN[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}` : `${Number(month.slice(5, 7))}/${month.slice(0, 4)}`;

/** The stylesheet (served as /style.css: the CSP allows no inline style). Contrast ≥ 4.5:1 throughout. */
export const STYLESHEET = `body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}
header,main,footer{padding:1rem 2rem}main{max-width:60rem}header>*,footer>*{max-width:56rem}header{border-bottom:1px solid #595959}footer{border-top:1px solid #595959;margin-top:2rem}
a{color:#0b4f8a}a:focus,button:focus,input:focus,.scroll:focus{outline:3px solid #0b4f8a;outline-offset:2px}.scroll{overflow-x:auto;max-width:100%;position:relative}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
nav ul{list-style:none;padding:0;display:flex;gap:1.5rem;flex-wrap:wrap}[aria-current=page]{font-weight:bold}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #595959;padding:.4rem .6rem;text-align:left;vertical-align:top}td.amount{text-align:right;white-space:nowrap}
article{border:1px solid #595959;border-radius:4px;padding:0 1rem;margin:1rem 0}dl{display:grid;grid-template-columns:minmax(12rem,max-content) 1fr;gap:.25rem 1rem}dt{font-weight:bold}dd{margin:0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f4;padding:1rem;border:1px solid #595959}
button{font:inherit;padding:.4rem 1rem;background:#0b4f8a;color:#fff;border:0;border-radius:4px;cursor:pointer}
label{display:block;margin:.5rem 0 .25rem}input{font:inherit;padding:.3rem}[role=alert]{color:#8a1c1c;font-weight:bold}
input[type=radio],input[type=checkbox]{width:1.25rem;height:1.25rem;vertical-align:middle;margin:0}input[type=radio]+label,input[type=checkbox]+label{display:inline;margin:0 0 0 .5rem}
form>div,fieldset>div{margin:.5rem 0}fieldset{max-width:30rem;border:1px solid #595959;border-radius:4px}
[role=status]{border-left:4px solid #0b4f8a;background:#eef4fa;padding:.5rem 1rem}
@media (max-width:40rem){header,main,footer{padding:1rem}dl{grid-template-columns:1fr}}`;

/** The main menu: path and label. */
const MENU: [string, TextKey][] = [['/loans', 'loans'], ['/guarantees', 'guarantees'], ['/income', 'income'], ['/extracts', 'asked'], ['/ban', 'ban'], ['/notifications', 'notifications']];

export interface Layout {
  language: Language;
  title: string;
  /** The path the language links point to (the same page in another language), and the menu marks as current. */
  path: string;
  /** Logged in: the main menu and the logout form (its CSRF token). */
  session?: { csrfToken: string };
  body: string;
}

export function page(l: Layout): string {
  const { language } = l;
  const langs = LANGUAGES.map((x) => x === language
    ? `<li><span lang="${x}" aria-current="true">${esc(t(x, 'lang'))}</span></li>`
    : `<li><a lang="${x}" hreflang="${x}" href="/language/${x}?next=${encodeURIComponent(l.path)}">${esc(t(x, 'lang'))}</a></li>`).join('');
  const menu = l.session
    ? `<nav aria-label="${esc(t(language, 'mainNav'))}"><ul>${MENU.map(([path, key]) => `<li><a href="${path}"${path === l.path ? ' aria-current="page"' : ''}>${esc(t(language, key))}</a></li>`).join('')}</ul></nav>
<form method="post" action="/logout"><input type="hidden" name="csrfToken" value="${esc(l.session.csrfToken)}"><button type="submit">${esc(t(language, 'logout'))}</button></form>`
    : '';
  return `<!DOCTYPE html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(l.title)} – ${esc(t(language, 'service'))}</title><link rel="stylesheet" href="/style.css"></head>
<body>
<a class="skip" href="#main">${esc(t(language, 'skip'))}</a>
<header><p>${esc(t(language, 'service'))}</p><nav aria-label="${esc(t(language, 'languageNav'))}"><ul>${langs}</ul></nav>${menu}</header>
<main id="main"><h1>${esc(l.title)}</h1>
${l.body}
</main>
<footer><p><a href="/accessibility"${l.path === '/accessibility' ? ' aria-current="page"' : ''}>${esc(t(language, 'accessibility'))}</a></p></footer>
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

/** A bare page of the test identity provider (not the e-service's layout: the provider is another service). */
const idpPage = (language: Language, title: string, body: string) => `<!DOCTYPE html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="stylesheet" href="/style.css"></head>
<body><main id="main"><h1>${esc(title)}</h1>${body}</main></body>
</html>`;

/**
 * The test identity provider's logout question (when it must ask: test-idp.ts). `form` is the
 * provider's own form (id "op.logoutForm", its anti-forgery field); the buttons submit it.
 */
export function idpLogoutPage(o: { language: Language; form: string }): string {
  return idpPage(o.language, t(o.language, 'idpLogoutTitle'), `<p>${esc(t(o.language, 'idpLogoutQuestion'))}</p>
${o.form}
<p><button type="submit" form="op.logoutForm" name="logout" value="yes">${esc(t(o.language, 'idpLogoutYes'))}</button></p>
<p><button type="submit" form="op.logoutForm">${esc(t(o.language, 'idpLogoutNo'))}</button></p>`);
}

/** The test identity provider's page after a logout that had nowhere to send the browser back to. */
export function idpLoggedOutPage(o: { language: Language; back: string }): string {
  return idpPage(o.language, t(o.language, 'idpLogoutTitle'), `<p role="status">${esc(t(o.language, 'idpLoggedOut'))}</p>
<p><a href="${esc(o.back)}">${esc(t(o.language, 'idpBack'))}</a></p>`);
}

/** The e-service's answers that are not pages of their own, by status. */
export const ERROR_PAGES = {
  400: ['badRequestTitle', 'badRequest'],
  403: ['forbiddenTitle', 'forbidden'],
  404: ['notFoundTitle', 'notFound'],
  500: ['serverErrorTitle', 'serverError'],
  503: ['unavailableTitle', 'unavailable'],
} as const satisfies Record<number, [TextKey, TextKey]>;
export type ErrorStatus = keyof typeof ERROR_PAGES;

/**
 * An error answer as a page of the service: the layout (with the menu when logged in), the
 * language of the session or the browser, what happened in plain words and the way back.
 */
export function errorPage(language: Language, status: ErrorStatus, session?: { csrfToken: string }): string {
  const [title, message] = ERROR_PAGES[status];
  return page({
    language, title: t(language, title), path: '/', ...(session ? { session } : {}),
    body: `<p>${esc(t(language, message))}</p>
<p><a href="/">${esc(t(language, 'toFrontPage'))}</a></p>`,
  });
}

/** The front page of a person not logged in. */
export function welcomePage(language: Language, formToken: string, notice?: TextKey): string {
  return page({
    language, title: t(language, 'login'), path: '/',
    body: `${notice ? `<p role="status">${esc(t(language, notice))}</p>` : ''}<p>${esc(t(language, 'welcome'))}</p>
<form method="post" action="/login"><input type="hidden" name="formToken" value="${esc(formToken)}"><button type="submit">${esc(t(language, 'login'))}</button></form>`,
  });
}

/** A loan as a page shows it: null where the lender left the value out. */
export interface LoanRow {
  lender: string;
  loanType: string;
  contractDate: string;
  currencyCode: string;
  borrowersCount: number;
  amountIssued: string | null;
  creditLimit: string | null;
  monthlyInstalment: string | null;
  contractEndDate: string | null;
  balance: string | null;
  interestRate: string | null;
  interestType: string | null;
  repaymentMethod: string | null;
  amortizationFrequency: string | null;
  finalDueDate: string | null;
  debtArrangement: boolean;
  /** The delayed instalments in total, null when none. */
  delayed: string | null;
  delayedSince: string | null;
  foreclosed: boolean;
  deferments: { startDate: string; endDate: string }[];
}

/** Loans: the person's active loans as a borrower, grouped by type, each with what its lender reported; the total balance per currency. */
export function loansPage(language: Language, csrfToken: string, loans: LoanRow[], totals: { currencyCode: string; balance: string }[]): string {
  const tx = (key: TextKey) => esc(t(language, key));
  const missing = `<span class="not-reported">${tx('notReported')}</span>`;
  const money = (v: string | null, currency: string) => (v === null ? missing : `${esc(formatAmount(v, language))} ${esc(currency)}`);
  const item = (key: TextKey, value: string) => `<dt>${tx(key)}</dt><dd>${value}</dd>`;
  const loan = (l: LoanRow) => {
    const rows = [item('contractDate', esc(formatDate(l.contractDate, language)))];
    if (l.loanType === 'LumpSumLoan') rows.push(item('amount', money(l.amountIssued, l.currencyCode)));
    if (l.loanType === 'RunningAccountLoan') rows.push(item('creditLimit', money(l.creditLimit, l.currencyCode)));
    if (l.loanType === 'Leasing') {
      rows.push(item('monthlyInstalment', money(l.monthlyInstalment, l.currencyCode)));
      rows.push(item('contractEnd', l.contractEndDate === null ? missing : esc(formatDate(l.contractEndDate, language))));
    } else rows.push(item('balance', money(l.balance, l.currencyCode)));
    if (l.loanType !== 'GuaranteeReceivable') {
      const interest = l.interestRate === null && l.interestType === null ? missing
        : [l.interestRate === null ? null : `${esc(formatAmount(l.interestRate, language).replace(/[.,]?0+$/, ''))} %`, l.interestType === null ? null : esc(code(language, l.interestType))].filter(Boolean).join(', ');
      rows.push(item('interest', interest));
    }
    if (l.loanType === 'LumpSumLoan') {
      rows.push(item('repayment', l.repaymentMethod === null ? missing : esc(code(language, l.repaymentMethod))));
      rows.push(item('frequency', l.amortizationFrequency === null ? missing : esc(everyMonths(Number(l.amortizationFrequency), language))));
      rows.push(item('finalDueDate', l.finalDueDate === null ? missing : esc(formatDate(l.finalDueDate, language))));
    }
    rows.push(item('debtArrangement', tx(l.debtArrangement ? 'yes' : 'no')));
    rows.push(item('delays', l.delayed === null ? tx('none')
      : `${money(l.delayed, l.currencyCode)}${l.delayedSince ? ` (${tx('delayedSince')} ${esc(formatDate(l.delayedSince, language))})` : ''}${l.foreclosed ? `. ${tx('foreclosed')}` : ''}`));
    rows.push(item('deferments', l.deferments.length === 0 ? tx('none')
      : l.deferments.map((p) => `${esc(formatDate(p.startDate, language))}–${esc(formatDate(p.endDate, language))}`).join(', ')));
    if (l.borrowersCount > 1) rows.push(item('borrowers', esc(l.borrowersCount)));
    return `<article><h3>${esc(l.lender)}</h3><dl>${rows.join('')}</dl></article>`;
  };
  const groups = [...new Set(loans.map((l) => l.loanType))];
  const sections = groups.map((type) => `<section><h2>${esc(code(language, type))}</h2>\n${loans.filter((l) => l.loanType === type).map(loan).join('\n')}</section>`).join('\n');
  const total = totals.length > 0
    ? `<h2 id="total">${tx('total')}</h2><p>${tx('totalIntro')}</p>${scrolling('total', `<table><thead><tr><th scope="col">${tx('currency')}</th><th scope="col">${tx('balance')}</th></tr></thead><tbody>${totals.map((x) => `<tr><th scope="row">${esc(x.currencyCode)}</th><td class="amount">${esc(formatAmount(x.balance, language))}</td></tr>`).join('')}</tbody></table>`)}`
    : '';
  return page({ language, title: t(language, 'loans'), path: '/loans', session: { csrfToken }, body: loans.length === 0 ? `<p>${tx('noLoans')}</p>` : `<p>${tx('loansIntro')}</p>\n${sections}\n${total}` });
}

export interface GuaranteeRow {
  lender: string;
  loanType: string;
  contractDate: string;
  currencyCode: string;
  borrowersCount: number;
  balance: string | null;
}

/** Guarantees: the loans the person guarantees, with the debtor count, lender and balance. */
export function guaranteesPage(language: Language, csrfToken: string, rows: GuaranteeRow[]): string {
  const tx = (key: TextKey) => esc(t(language, key));
  const body = rows.length === 0
    ? `<p>${tx('noGuarantees')}</p>`
    : `<p>${tx('guaranteesIntro')}</p>
${scrollingNamed(t(language, 'guarantees'), `<table><thead><tr><th scope="col">${tx('lender')}</th><th scope="col">${tx('loanType')}</th><th scope="col">${tx('contractDate')}</th><th scope="col">${tx('borrowers')}</th><th scope="col">${tx('balance')}</th></tr></thead>
<tbody>${rows.map((r) => `<tr><td>${esc(r.lender)}</td><td>${esc(code(language, r.loanType))}</td><td>${esc(formatDate(r.contractDate, language))}</td><td>${esc(r.borrowersCount)}</td><td class="amount">${r.balance === null ? tx('notReported') : `${esc(formatAmount(r.balance, language))} ${esc(r.currencyCode)}`}</td></tr>`).join('')}</tbody></table>`)}`;
  return page({ language, title: t(language, 'guarantees'), path: '/guarantees', session: { csrfToken }, body });
}

export interface IncomeRow {
  /** yyyy-mm */
  month: string;
  wagesGross: string;
  wagesNet: string;
  benefitsGross: string;
  benefitsNet: string;
  accuracyDenied: boolean;
}

/** Income: the months the register holds, as an extract shows them (euros). */
export function incomePage(language: Language, csrfToken: string, rows: IncomeRow[]): string {
  const tx = (key: TextKey) => esc(t(language, key));
  const eur = (v: string) => `<td class="amount">${esc(formatAmount(v, language))} EUR</td>`;
  const body = rows.length === 0
    ? `<p>${tx('noIncome')}</p>`
    : `<p>${tx('incomeIntro')}</p>
${scrollingNamed(t(language, 'income'), `<table><thead><tr><th scope="col">${tx('month')}</th><th scope="col">${tx('wagesGross')}</th><th scope="col">${tx('wagesNet')}</th><th scope="col">${tx('benefitsGross')}</th><th scope="col">${tx('benefitsNet')}</th><th scope="col">${tx('accuracyDenied')}</th></tr></thead>
<tbody>${rows.map((r) => `<tr><th scope="row">${esc(formatMonth(r.month, language))}</th>${eur(r.wagesGross)}${eur(r.wagesNet)}${eur(r.benefitsGross)}${eur(r.benefitsNet)}<td>${r.accuracyDenied ? tx('disputed') : tx('no')}</td></tr>`).join('')}</tbody></table>`)}`;
  return page({ language, title: t(language, 'income'), path: '/income', session: { csrfToken }, body });
}

export interface AskedRow {
  extractReference: string;
  /** The Finnish date and time, yyyy-mm-dd hh:mm. */
  when: string;
  lender: string;
  purposes: string[];
}

export interface AuthorityRow {
  when: string;
  authority: string;
  legalBasis: string;
  caseReference: string;
  /** A LoanStockSnapshot's day (yyyy-mm-dd): what was delivered, said where a PersonLoans delivery has its case reference, or in place of a legal basis its order did not state. */
  snapshotDay: string | null;
}

/** The authority row's legal basis and case reference cells, a snapshot saying what it was. */
export function authorityCells(r: AuthorityRow, language: Language): [string, string] {
  if (!r.snapshotDay) return [r.legalBasis, r.caseReference];
  const what = t(language, 'snapshotOf').replace('{date}', formatDate(r.snapshotDay, language));
  if (!r.legalBasis) return [what, r.caseReference];
  return [r.legalBasis, r.caseReference ? `${r.caseReference} (${what})` : what];
}

export interface CompanyRow {
  when: string;
  company: string;
  change: 'Set' | 'Changed' | 'Removed' | 'ConsentWithdrawn';
}

/** A page of each list and the cursor of its next page. */
export interface AskedLists {
  extracts: { rows: AskedRow[]; older: string | null };
  authorities: { rows: AuthorityRow[]; older: string | null };
  companies: { rows: CompanyRow[]; older: string | null };
}

/** The query parameter of each list's next page. */
export const ASKED_CURSORS = { extracts: 'before', authorities: 'authoritiesBefore', companies: 'companiesBefore' } as const;

/** Who has asked: the extracts about the person (each opening to its content), the authorities' deliveries, the ban's deliveries to companies; newest first, a page at a time. */
export function askedPage(language: Language, csrfToken: string, lists: AskedLists, paged: Partial<Record<keyof AskedLists, boolean>> = {}): string {
  const tx = (key: TextKey) => esc(t(language, key));
  const purpose = (p: string[]) => esc(p.length === 1 ? code(language, p[0]!) : t(language, 'severalPurposes'));
  /** The list's paging: back to its newest entries when an older page is shown, and on to the next older page when there is one. */
  const older = (list: keyof AskedLists, heading: TextKey) => {
    const cursor = lists[list].older;
    const links = [
      ...(paged[list] ? [`<a href="/extracts#${list}">${tx('newest')}<span class="visually-hidden">: ${tx(heading)}</span></a>`] : []),
      ...(cursor ? [`<a href="/extracts?${ASKED_CURSORS[list]}=${encodeURIComponent(cursor)}#${list}">${tx('older')}<span class="visually-hidden">: ${tx(heading)}</span></a>`] : []),
    ];
    return links.length ? `<p>${links.join(' ')}</p>` : '';
  };
  const table = (list: keyof AskedLists, heads: TextKey[], rows: string[]) => scrolling(list,
    `<table><thead><tr>${heads.map((h) => `<th scope="col">${tx(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
  const { extracts, authorities, companies } = lists;
  const body = `<section><h2 id="extracts">${tx('extractsHeading')}</h2>
${extracts.rows.length === 0 ? `<p>${tx('noExtracts')}</p>` : `<p>${tx('askedIntro')}</p>
${table('extracts', ['date', 'lender', 'purposes', 'extract'], extracts.rows.map((r) => `<tr><td>${esc(formatWhen(r.when, language))}</td><td>${esc(r.lender)}</td><td>${purpose(r.purposes)}</td><td><a href="/extracts/${esc(r.extractReference)}">${tx('open')}<span class="visually-hidden">: ${esc(formatWhen(r.when, language))}, ${esc(r.lender)}</span></a></td></tr>`))}`}
${older('extracts', 'extractsHeading')}</section>
<section><h2 id="authorities">${tx('authoritiesHeading')}</h2>
${authorities.rows.length === 0 ? `<p>${tx('noAuthorities')}</p>` : `<p>${tx('authoritiesIntro')}</p>
${table('authorities', ['date', 'authority', 'legalBasis', 'caseReference'], authorities.rows.map((r) => `<tr><td>${esc(formatWhen(r.when, language))}</td><td>${esc(r.authority)}</td>${authorityCells(r, language).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`))}`}
${older('authorities', 'authoritiesHeading')}</section>
<section><h2 id="companies">${tx('companiesHeading')}</h2>
${companies.rows.length === 0 ? `<p>${tx('noCompanies')}</p>` : `<p>${tx('companiesIntro')}</p>
${table('companies', ['date', 'company', 'whatPassed'], companies.rows.map((r) => `<tr><td>${esc(formatWhen(r.when, language))}</td><td>${esc(r.company)}</td><td>${tx(r.change)}</td></tr>`))}`}
${older('companies', 'companiesHeading')}</section>`;
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
    language, title: `${t(language, 'extract')} ${formatWhen(row.when, language)}`, path: '/extracts', session: { csrfToken },
    body: `<dl><dt>${esc(t(language, 'lender'))}</dt><dd>${esc(row.lender)}</dd><dt>${esc(t(language, 'purposes'))}</dt><dd>${row.purposes.map((p) => esc(code(language, p))).join(', ')}</dd></dl>
<p>${esc(t(language, 'received'))}</p><pre>${esc(shown)}</pre><p><a href="/extracts">${esc(t(language, 'back'))}</a></p>`,
  });
}

export interface BanView {
  ban: { reason: 'RiskOfIdentityTheft' | 'ControlOfPersonalFinances' | 'Other'; startDate: string; endDate: string | null } | null;
  consent: boolean;
}

const REASONS = ['RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other'] as const;

/** Why a ban could not be saved, in the person's words (the field it concerns, for aria-describedby). */
export interface BanProblem {
  message: TextKey;
  field: 'reason' | 'startDate' | 'endDate' | null;
}

/** The voluntary ban: what is in force, a form to set or change it, removing it, and the consent on its own. */
export function banPage(language: Language, csrfToken: string, state: BanView, today: string, notice?: { saved?: boolean; problem?: BanProblem }): string {
  const tx = (key: TextKey) => esc(t(language, key));
  const csrf = `<input type="hidden" name="csrfToken" value="${esc(csrfToken)}">`;
  const problem = notice?.problem;
  const invalid = (field: BanProblem['field']) => (problem && problem.field === field ? ' aria-invalid="true" aria-describedby="ban-error"' : '');
  const current = state.ban
    ? `<dl><dt>${tx('reason')}</dt><dd>${tx(state.ban.reason)}</dd><dt>${tx('startDate')}</dt><dd>${esc(formatDate(state.ban.startDate, language))}</dd>
<dt>${tx('ends')}</dt><dd>${state.ban.endDate ? esc(formatDate(state.ban.endDate, language)) : tx('indefinite')}</dd></dl>
<form method="post" action="/ban/remove">${csrf}<button type="submit">${tx('removeBan')}</button></form>`
    : `<p>${tx('banNone')}</p>`;
  const reasons = REASONS.map((r) => `<div><input type="radio" id="reason-${r}" name="reason" value="${r}"${(state.ban?.reason ?? 'ControlOfPersonalFinances') === r ? ' checked' : ''}><label for="reason-${r}">${tx(r)}</label></div>`).join('');
  const form = `<h2>${tx('setBan')}</h2>
<form method="post" action="/ban">${csrf}
<fieldset${invalid('reason')}><legend>${tx('reason')}</legend>${reasons}</fieldset>
<label for="startDate">${tx('startDate')}</label><input type="date" id="startDate" name="startDate" value="${esc(state.ban?.startDate ?? today)}" required${invalid('startDate')}>
<label for="endDate">${tx('endDate')}</label><input type="date" id="endDate" name="endDate" value="${esc(state.ban?.endDate ?? '')}"${invalid('endDate')}>
<div><input type="checkbox" id="consentWith" name="consent" value="yes"${state.consent ? ' checked' : ''}><label for="consentWith">${tx('consentWith')}</label></div>
<p><button type="submit">${tx('saveBan')}</button></p></form>`;
  const consent = `<h2>${tx('consent')}</h2><p>${tx(state.consent ? 'consentOn' : 'consentOff')}</p>
<form method="post" action="/ban/consent">${csrf}<input type="hidden" name="give" value="${state.consent ? 'no' : 'yes'}"><button type="submit">${tx(state.consent ? 'withdrawConsent' : 'giveConsent')}</button></form>`;
  const message = problem ? `<p id="ban-error" role="alert">${tx('error')}: ${tx(problem.message)}</p>` : notice?.saved ? `<p role="status">${tx('saved')}</p>` : '';
  return page({ language, title: t(language, 'ban'), path: '/ban', session: { csrfToken }, body: `${message}<h2>${tx('banInForce')}</h2>${current}\n${form}\n${consent}` });
}

/** Removing the ban is asked once more: it ends the protection at once (a slip of the keyboard must not). */
export function banRemovalPage(language: Language, csrfToken: string): string {
  const tx = (key: TextKey) => esc(t(language, key));
  const body = `<h2>${tx('removeBanQuestion')}</h2>
<p>${tx('removeBanEffect')}</p>
<form method="post" action="/ban/remove"><input type="hidden" name="csrfToken" value="${esc(csrfToken)}"><input type="hidden" name="confirm" value="yes"><button type="submit">${tx('removeBanYes')}</button></form>
<p><a href="/ban">${tx('cancel')}</a></p>`;
  return page({ language, title: t(language, 'ban'), path: '/ban', session: { csrfToken }, body });
}

/** Notifications: whether the person is notified of extracts, and the switch. */
export function notificationsPage(language: Language, csrfToken: string, on: boolean, saved = false): string {
  const tx = (key: TextKey) => esc(t(language, key));
  return page({
    language, title: t(language, 'notifications'), path: '/notifications', session: { csrfToken },
    body: `${saved ? `<p role="status">${tx('saved')}</p>` : ''}<p>${tx(on ? 'notificationsOn' : 'notificationsOff')}</p>
<form method="post" action="/notifications"><input type="hidden" name="csrfToken" value="${esc(csrfToken)}"><input type="hidden" name="on" value="${on ? 'no' : 'yes'}"><button type="submit">${tx(on ? 'switchOff' : 'switchOn')}</button></form>
<p>${tx('notificationsNote')}</p>`,
  });
}

const STATEMENT: Record<Language, string> = {
  fi: `<p>Tämä saavutettavuusseloste koskee positiivisen luottotietorekisterin verkkopalvelua yksityishenkilöille. Palvelua koskee laki digitaalisten palvelujen tarjoamisesta (306/2019).</p>
<h2>Saavutettavuuden tila</h2><p>Palvelu täyttää WCAG 2.1 -ohjeiston AA-tason vaatimukset. Sivut ovat semanttista HTML:ää, toimivat ilman JavaScriptiä ja näppäimistöllä, ja jokaisella lomakekentällä on nimi. Saavutettavuus tarkistetaan jokaisen muutoksen yhteydessä automaattisilla testeillä (axe-core) oikeassa selaimessa.</p>
<h2>Tunnetut rajoitukset</h2><p>Rekisteriote näytetään sellaisenaan kuin luotonantaja sen sai (JSON-muodossa); sama sisältö on luettavammin sivuilla Lainat, Takaukset ja Tulotiedot.</p>
<h2>Palaute</h2><p>Jos huomaat saavutettavuuspuutteen, kerro siitä rekisterin ylläpitäjälle: {feedback}. Vastaamme kahden viikon kuluessa.</p>
<h2>Valvontaviranomainen</h2><p>Jos et ole tyytyväinen vastaukseen, voit tehdä ilmoituksen Etelä-Suomen aluehallintovirastolle: <a href="https://www.saavutettavuusvaatimukset.fi/">saavutettavuusvaatimukset.fi</a>.</p>
<p>Seloste on laadittu 2.12.2026, ja sen tiedot on tarkistettu samana päivänä.</p>`,
  sv: `<p>Detta tillgänglighetsutlåtande gäller det positiva kreditupplysningsregistrets webbtjänst för privatpersoner. Lagen om tillhandahållande av digitala tjänster (306/2019) gäller tjänsten.</p>
<h2>Tillgänglighetsstatus</h2><p>Tjänsten uppfyller kraven på nivå AA i WCAG 2.1. Sidorna är semantisk HTML, fungerar utan JavaScript och med tangentbord, och varje formulärfält har en etikett. Tillgängligheten kontrolleras vid varje ändring med automatiska tester (axe-core) i en riktig webbläsare.</p>
<h2>Kända begränsningar</h2><p>Registerutdraget visas så som kreditgivaren fick det (i JSON-format); samma innehåll visas mer läsbart på sidorna Lån, Borgen och Inkomstuppgifter.</p>
<h2>Respons</h2><p>Om du upptäcker en brist i tillgängligheten, meddela registrets förvaltare: {feedback}. Vi svarar inom två veckor.</p>
<h2>Tillsynsmyndighet</h2><p>Om du inte är nöjd med svaret kan du anmäla saken till Regionförvaltningsverket i Södra Finland: <a href="https://www.tillganglighetskrav.fi/">tillgänglighetskrav.fi</a>.</p>
<p>Utlåtandet har utarbetats 2.12.2026, och uppgifterna har granskats samma dag.</p>`,
  en: `<p>This accessibility statement covers the Positive Credit Register's e-service for private persons. The Act on the Provision of Digital Services (306/2019) applies to it.</p>
<h2>Compliance status</h2><p>The service meets the requirements of WCAG 2.1 level AA. The pages are semantic HTML, work without JavaScript and with a keyboard, and every form field has a label. Accessibility is checked with every change by automated tests (axe-core) in a real browser.</p>
<h2>Known limitations</h2><p>A credit register extract is shown exactly as the lender received it (as JSON); the same content is easier to read on the Loans, Guarantees and Income pages.</p>
<h2>Feedback</h2><p>If you notice an accessibility problem, please tell the register's operator: {feedback}. We answer within two weeks.</p>
<h2>Enforcement</h2><p>If you are not satisfied with the answer, you can notify the Regional State Administrative Agency for Southern Finland: <a href="https://www.webaccessibility.fi/">webaccessibility.fi</a>.</p>
<p>This statement was drawn up on 2 December 2026 and its contents were checked on the same day.</p>`,
};

const NO_FEEDBACK: Record<Language, string> = { fi: 'ylläpitäjän yhteystiedot saat rekisterin asiakaspalvelusta', sv: 'förvaltarens kontaktuppgifter får du av registrets kundtjänst', en: 'the operator\'s contact details are available from the register\'s customer service' };

/**
 * The accessibility statement (Finnish law requires one of a public service, with a feedback
 * channel), logged in or not: `feedback` is the operator's e-mail address or https URL.
 */
export function accessibilityPage(language: Language, feedback?: string, csrfToken?: string): string {
  const channel = feedback === undefined ? esc(NO_FEEDBACK[language])
    : `<a href="${esc(feedback.startsWith('https://') ? feedback : `mailto:${feedback}`)}">${esc(feedback)}</a>`;
  return page({ language, title: t(language, 'accessibility'), path: '/accessibility', ...(csrfToken ? { session: { csrfToken } } : {}), body: STATEMENT[language].replace('{feedback}', channel) });
}
