// CSV files of what a table shows (as filtered and sorted), for spreadsheets. Amounts are written
// as the API's plain decimal strings, which spreadsheets read as numbers in any locale setting.

function cell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  // Quote when needed; a leading =, +, - or @ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** columns: [[header, (item) => value]] */
export function toCsv(items, columns) {
  const lines = [columns.map(([header]) => cell(header)).join(",")];
  for (const item of items) lines.push(columns.map(([, value]) => cell(value(item))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function downloadCsv(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
