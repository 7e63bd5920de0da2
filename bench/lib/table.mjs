// Plain-text table for terminal reports: numbers right-aligned, text left-aligned.

const NUMERIC = /^[-+]?[\d,.]+( s)?$|^>= /

/**
 * @param {string[]} header
 * @param {Array<Array<string | number>>} rows
 * @returns {string}
 */
export function formatTable(header, rows) {
  const cells = [header, ...rows].map((row) => row.map(String))
  const widths = header.map((_, col) => Math.max(...cells.map((row) => row[col].length)))
  const rightAligned = header.map((_, col) => col > 0 && rows.every((row) => NUMERIC.test(String(row[col]))))
  const line = (row) => row.map((cell, col) => (rightAligned[col] ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('   ').trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('   ')
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n')
}

export function formatNumber(value, fractionDigits = 0) {
  return value.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits })
}
