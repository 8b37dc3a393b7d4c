// A worker started by i18n.js's prepareIntl(): one Intl object of each kind the page uses, in the
// locale it is sent, so that the browser process loads its locale data here rather than on the page's
// thread. A classic worker script (no imports), answering "done".
onmessage = ({ data: tag }) => {
  const kinds = [
    () => new Intl.NumberFormat(tag, { style: "currency", currency: "EUR" }).format(1),
    () => new Intl.NumberFormat(tag).formatToParts(1.5),
    () => new Intl.DateTimeFormat(tag, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(0),
    () => new Intl.DisplayNames([tag], { type: "currency" }).of("EUR"),
    () => new Intl.PluralRules(tag).select(1),
  ];
  for (const make of kinds) {
    try {
      make();
    } catch {
      /* a browser without this kind does not use it either */
    }
  }
  postMessage("done");
};
