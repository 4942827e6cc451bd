"""A layout and contrast audit of a dashboard page as Chromium renders it.

:func:`audit` returns the offenders on the page shown, one dict each (``kind``, ``selector``,
``text`` and the measurements), of these kinds:

- ``truncated``: text cut short. DOM headings, metric labels and deltas, captions and HTML
  table headers whose ``scrollWidth`` (or, when clipped vertically, ``scrollHeight``) exceeds the
  client box by more than 1px; ``st.dataframe`` headers (glide-data-grid draws them on a canvas)
  whose title, measured with the grid's header font, is wider than its column leaves room for;
  chart text that Vega shortened with an ellipsis (its ``limit``).
- ``clipped``: chart text that runs past the edge of the chart's drawing surface (or past a
  clipping ancestor of it), so part of it is not drawn.
- ``clipped`` too: a chart's data marks (bars, points, rules) drawn wholly outside it; and
  ``squeezed``: a plot area (a group with axes) less than 20px wide or high, the room taken by
  its labels, legend or titles.
- ``overlap``: two visible text items of one chart whose boxes overlap by more than 1.5px both
  ways (the same text drawn twice in place, a halo, excepted).
- ``contrast``: text below the WCAG 2.2 AA contrast ratio (4.5:1; 3:1 for large text, at least
  24px or 18.66px bold), from the rendered colours: the text's colour with its alpha and the
  opacity of the element and its ancestors, over the background alpha-composited from the
  element's ancestors (white at the bottom). Chart text is checked against the rect marks drawn
  behind it (heatmap cells, bars) over the chart background; grid text against the grid theme.

- ``unchecked``: a chart or grid whose drawing could not be read (a Streamlit upgrade moved
  its internals), so that the audit never passes by seeing nothing; ``error``: the page shows
  an exception.

How charts and grids are read (Streamlit 1.67): ``st.vega_lite_chart`` renders with vega-embed
into a ``.vega-embed`` element, as SVG (canvas for charts with more than 2,000 data points
per mark). The Vega ``View`` is found on the React fiber of that element (a hook of the chart
component holds it) and checked by ``view.container()``; its scenegraph gives every text item
with its text, font, ``limit``, fill and bounds, whichever the renderer. Without the view, SVG
charts are still checked from their ``<text>`` elements (ellipsis, clipping, contrast against the
chart background); canvas charts are reported ``unchecked``. ``st.dataframe`` keeps an
accessible copy of its visible cells in a ``<table>`` inside the canvas, but that table is not
laid out (no widths); the column titles and widths, the header font, the padding and the colours
come from the props of glide's grid component on the canvas's React fiber.

Elements that are hidden (no boxes, ``visibility``, opacity near 0, screen-reader-only clips),
parked off screen to the left or top, disabled, icons (Material Symbols ligatures, SVG), and
Streamlit's own chrome (header, toolbar, main menu, status widget, sidebar collapse controls,
the element toolbar shown on hover) are not checked.

Run ``.venv/bin/python tests/audit_support.py`` for the full report on a demo dashboard.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

if __name__ == "__main__":  # run as a script: the project and the tests on the path
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).parent)]

from browser_support import CHROMIUM, CHROMIUM_ARGS, PAGES, running_dashboard, settle  # noqa: E402

SIZES = ((1280, 720), (1440, 900))

_HELPERS = r"""
const ELLIPSIS = '\u2026';
const CHROME = [
  '[data-testid=stHeader]', '[data-testid=stToolbar]', '[data-testid=stDecoration]',
  '[data-testid=stStatusWidget]', '[data-testid=stMainMenu]', '[data-testid=stMainMenuPopover]',
  '[data-testid=stSidebarCollapseButton]', '[data-testid=stSidebarCollapsedControl]',
  '[data-testid=stExpandSidebarButton]', '[data-testid=stSidebarHeader]',
  '[data-testid=stElementToolbar]', '[data-testid=stSkipLink]',
].join(', ');
// Layout wrappers left out of the selectors reported.
const LAYOUT = new Set(['stVerticalBlock', 'stHorizontalBlock', 'stElementContainer',
  'stVerticalBlockBorderWrapper', 'stLayoutWrapper', 'stMarkdownContainer', 'stAppViewContainer',
  'stAppViewBlockContainer', 'stMainBlockContainer', 'stSidebarContent', 'stSidebarUserContent',
  'stFullScreenFrame', 'stApp', 'stAppScrollToBottomContainer']);

const clean = text => String(text ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);

// --- colours -----------------------------------------------------------------------------
const scratch = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
const colourCache = new Map();
function parseColour(text) {
  if (text === null || text === undefined || typeof text !== 'string') return null;
  if (colourCache.has(text)) return colourCache.get(text);
  let colour = null;
  const m = text.match(/^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/);
  if (m) {
    let a = m[4] === undefined ? 1 : parseFloat(m[4]);
    if (m[4] && m[4].endsWith('%')) a /= 100;
    colour = {r: +m[1], g: +m[2], b: +m[3], a};
  } else if (text === 'transparent' || text === 'none' || text === '') {
    colour = {r: 0, g: 0, b: 0, a: 0};
  } else {  // any other CSS colour: let the canvas convert it to sRGB
    scratch.clearRect(0, 0, 1, 1);
    scratch.fillStyle = '#000';
    scratch.fillStyle = text;
    scratch.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = scratch.getImageData(0, 0, 1, 1).data;
    colour = {r, g, b, a: a / 255};
  }
  colourCache.set(text, colour);
  return colour;
}
function over(top, bottom) {  // top composited over an opaque bottom
  const a = top.a;
  return {r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a),
          b: top.b * a + bottom.b * (1 - a), a: 1};
}
function luminance(c) {
  const ch = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
}
function ratio(fg, bg) {
  const l1 = luminance(fg), l2 = luminance(bg);
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}
const hex = c => '#' + [c.r, c.g, c.b].map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
const css = c => c.a >= 0.999 ? hex(c) : `${hex(c)} @ ${c.a.toFixed(2)}`;
function needed(sizePx, weight) {
  const bold = (parseInt(weight, 10) || (String(weight) === 'bold' ? 700 : 400)) >= 700;
  return sizePx >= 24 || (sizePx >= 18.66 && bold) ? 3 : 4.5;
}

// --- DOM ---------------------------------------------------------------------------------
const opacityCache = new Map();
function opacityOf(el) {  // the element's opacity times its ancestors'
  if (!el || el.nodeType !== 1) return 1;
  if (opacityCache.has(el)) return opacityCache.get(el);
  const value = parseFloat(getComputedStyle(el).opacity) * opacityOf(el.parentElement);
  opacityCache.set(el, value);
  return value;
}
const clippedCache = new Map();
function clippedAway(el) {  // in a screen-reader-only box (1px, clip, clip-path)
  if (!el || el.nodeType !== 1 || el === document.body) return false;
  if (clippedCache.has(el)) return clippedCache.get(el);
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const tiny = (r.width <= 1 || r.height <= 1) && cs.overflow !== 'visible';
  const clip = (cs.clip && cs.clip !== 'auto' && /rect\(\s*0/.test(cs.clip)) ||
    /inset\(\s*50%/.test(cs.clipPath);
  const value = tiny || clip || clippedAway(el.parentElement);
  clippedCache.set(el, value);
  return value;
}
function shown(el) {
  if (!el.isConnected || el.closest('svg, canvas, noscript, template')) return false;
  if (!el.getClientRects().length) return false;
  // display: none, content-visibility: hidden (the body of a closed expander), visibility
  if (el.checkVisibility && !el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) return false;
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2 || r.right <= 0 || r.bottom <= 0) return false;
  if (getComputedStyle(el).visibility !== 'visible') return false;
  if (opacityOf(el) < 0.05 || clippedAway(el)) return false;
  return true;
}
function disabled(el) {
  if (el.closest(':disabled, [aria-disabled=true], [data-disabled=true]')) return true;
  // A widget's label shares its container with the disabled control.
  const label = el.closest('[data-testid=stWidgetLabel], label');
  const box = label && label.closest('[data-testid=stElementContainer], .stElementContainer');
  return !!(box && box.querySelector(':disabled, [aria-disabled=true]'));
}
function excluded(el) { return !!el.closest(CHROME); }
function describe(el) {
  const parts = [];
  let tag = el.tagName.toLowerCase();
  const own = el.getAttribute('data-testid');
  if (own) tag += `[data-testid=${own}]`;
  parts.push(tag);
  for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
    const tid = e.getAttribute('data-testid');
    const key = [...e.classList].find(c => c.startsWith('st-key-'));
    if (key) parts.unshift('.' + key);
    else if (tid === 'stSidebar' || tid === 'stMain') { parts.unshift(`[data-testid=${tid}]`); break; }
    else if (tid && !LAYOUT.has(tid) && parts.length < 4) parts.unshift(`[data-testid=${tid}]`);
  }
  return parts.join(' ');
}
function backgroundOf(el) {  // the opaque colour behind el; null when an image is in the way
  const layers = [];
  const r = el.getBoundingClientRect();
  let cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    const cs = getComputedStyle(e);
    if (e !== el && e !== document.body && e !== document.documentElement) {
      // An ancestor's background is behind el only where el lies within the ancestor's box (a
      // slider's value is drawn above its thumb, a child of the thumb). A scroller's is behind
      // all it scrolls, and what it shows lies within its own box for the ancestors beyond it.
      const b = e.getBoundingClientRect();
      if (cs.overflow !== 'visible') {
        cx = Math.min(Math.max(cx, b.left), b.right);
        cy = Math.min(Math.max(cy, b.top), b.bottom);
      } else if (cx < b.left || cx > b.right || cy < b.top || cy > b.bottom) continue;
    }
    if (cs.backgroundImage && cs.backgroundImage !== 'none') return null;
    const bg = parseColour(cs.backgroundColor);
    if (bg && bg.a > 0) {
      const layer = {...bg, a: bg.a * opacityOf(e)};
      layers.push(layer);
      if (layer.a >= 0.999) break;
    }
  }
  let colour = {r: 255, g: 255, b: 255, a: 1};  // the canvas of the page
  for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
  return colour;
}
function directText(el) {
  let text = '';
  for (const node of el.childNodes) if (node.nodeType === 3) text += node.nodeValue;
  if ((el.tagName === 'INPUT' && !/^(hidden|file|checkbox|radio|range|color)$/i.test(el.type)) ||
      el.tagName === 'TEXTAREA') text += el.value || '';
  return text.trim() ? text : '';
}
"""

_DOM_CHECKS = r"""
const TRUNCATION = ['h1', 'h2', 'h3', 'h4', '[data-testid=stHeading]', '[data-testid=stMetricLabel]',
  '[data-testid=stMetricDelta]', '[data-testid=stCaptionContainer]', '.stCaption', 'th',
  '[role=columnheader]', '[data-testid=stTableStyledTable] thead', 'legend'].join(', ');
function truncations(offenders) {
  const seen = new Set();
  for (const root of document.querySelectorAll(TRUNCATION)) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (seen.has(el)) continue;
      seen.add(el);
      if (!shown(el) || excluded(el) || el.closest('svg, canvas')) continue;
      const cs = getComputedStyle(el);
      const wide = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
      const tall = el.clientHeight > 0 && el.scrollHeight > el.clientHeight + 1 &&
        /hidden|clip/.test(cs.overflowY);
      if (!wide && !tall) continue;
      if (!clean(el.textContent)) continue;
      offenders.push({kind: 'truncated', selector: describe(el), text: clean(el.textContent),
        scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
        scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
        textOverflow: cs.textOverflow, overflow: cs.overflow});
    }
  }
}
function domContrast(offenders) {
  for (const el of document.body.querySelectorAll('*')) {
    const text = directText(el);
    if (!text || !shown(el) || excluded(el) || disabled(el)) continue;
    const cs = getComputedStyle(el);
    if (/Material Symbols|Material Icons/i.test(cs.fontFamily)) continue;  // icon ligatures
    const colour = parseColour(cs.webkitTextFillColor || cs.color);
    const bg = backgroundOf(el);
    if (!colour || !bg) continue;
    const fg = over({...colour, a: colour.a * opacityOf(el)}, bg);
    const value = ratio(fg, bg), size = parseFloat(cs.fontSize), need = needed(size, cs.fontWeight);
    if (value + 1e-9 < need) {
      offenders.push({kind: 'contrast', selector: describe(el), text: clean(text),
        ratio: +value.toFixed(2), required: need, color: css(colour), opacity: +opacityOf(el).toFixed(2),
        rendered: hex(fg), background: hex(bg), fontSize: size, fontWeight: cs.fontWeight});
    }
  }
}
"""

_GRID_CHECKS = r"""
function gridProps(canvas) {
  const key = Object.keys(canvas).find(k => k.startsWith('__reactFiber$'));
  let fiber = key && canvas[key];
  for (let d = 0; fiber && d < 30; d++, fiber = fiber.return) {
    const p = fiber.memoizedProps;
    if (p && Array.isArray(p.columns) && p.theme && p.theme.headerFontFull) return p;
  }
  return null;
}
function grids(offenders) {
  document.querySelectorAll('[data-testid=stDataFrame], [data-testid=stDataEditor]').forEach((grid, i) => {
    if (!shown(grid)) return;
    const where = `${describe(grid)} #${i + 1}`;
    const canvas = grid.querySelector('canvas[data-testid=data-grid-canvas]') || grid.querySelector('canvas');
    const props = canvas && gridProps(canvas);
    if (!props) {
      offenders.push({kind: 'unchecked', selector: where, text: 'the grid\'s columns could not be read'});
      return;
    }
    const t = props.theme;
    const pad = t.cellHorizontalPadding ?? 8;
    // glide widens columns with "grow" to fill a grid wider than their widths (as its sizer does)
    let columns = props.columns;
    const total = columns.reduce((s, c) => s + c.width, 0);
    const growers = columns.filter(c => (c.grow ?? 0) > 0 && c.growOffset === undefined);
    const width = props.width || canvas.clientWidth;
    if (growers.length && total < width) {
      const grow = growers.reduce((s, c) => s + c.grow, 0);
      let left = width - total;
      const extra = width - total;
      columns = columns.map(c => {
        if (!growers.includes(c)) return c;
        const add = c === growers[growers.length - 1] ? left : Math.min(left, Math.floor(extra * c.grow / grow));
        left -= add;
        return {...c, width: c.width + add};
      });
    }
    scratch.font = t.headerFontFull;
    for (const c of columns) {
      const title = String(c.title ?? '');
      if (!title) continue;
      const icon = c.icon === undefined || c.icon === null ? 0 : Math.ceil((t.headerIconSize ?? 18) * 1.3);
      const textWidth = scratch.measureText(title).width;
      const room = c.width - 2 * pad - icon;  // glide leaves the padding on the left; the column clips
      if (textWidth > room + 1) {
        offenders.push({kind: 'truncated', selector: `${where} header`, text: title,
          textWidth: +textWidth.toFixed(1), columnWidth: c.width, room, font: t.headerFontFull});
      }
    }
    const pairs = [['header', t.textHeader, t.bgHeader, t.headerFontFull],
                   ['cells', t.textDark, t.bgCell, t.baseFontFull]];
    for (const [part, text, back, font] of pairs) {
      const colour = parseColour(text), bgColour = parseColour(back);
      if (!colour || !bgColour) continue;
      const bg = over(bgColour, backgroundOf(grid));
      const fg = over(colour, bg);
      const size = parseFloat((String(font).match(/([\d.]+)px/) || [0, 14])[1]);
      const weight = (String(font).match(/^\s*(\d{3}|bold)/) || [0, 400])[1];
      const value = ratio(fg, bg), need = needed(size, weight);
      if (value + 1e-9 < need) {
        offenders.push({kind: 'contrast', selector: `${where} ${part}`, text: `(grid ${part} text)`,
          ratio: +value.toFixed(2), required: need, color: css(colour), rendered: hex(fg),
          background: hex(bg), fontSize: size, fontWeight: weight});
      }
    }
  });
}
"""

_CHART_CHECKS = r"""
function isView(v) {
  return !!v && typeof v === 'object' && typeof v.scenegraph === 'function' &&
    typeof v.signal === 'function' && typeof v.container === 'function';
}
function findView(embed) {
  const key = Object.keys(embed).find(k => k.startsWith('__reactFiber$'));
  let fiber = key && embed[key];
  for (let d = 0; fiber && d < 40; d++, fiber = fiber.return) {
    let hook = fiber.memoizedState;
    for (let i = 0; hook && typeof hook === 'object' && i < 200; i++, hook = hook.next) {
      const s = hook.memoizedState;
      let candidates = [];
      try { candidates = [s, s && s.current, s && s.current && s.current.view, s && s.view]; } catch (e) {}
      for (const v of candidates) {
        try { if (isView(v) && v.container() && (v.container() === embed || embed.contains(v.container()))) return v; }
        catch (e) {}
      }
    }
  }
  return null;
}
function textFont(item) {
  const family = item.font || 'sans-serif';
  return `${item.fontStyle || ''} ${item.fontVariant || ''} ${item.fontWeight || ''} ${item.fontSize ?? 11}px ${family}`.trim();
}
function lines(item) {
  const text = item.text;
  if (text === null || text === undefined) return [];
  return (Array.isArray(text) ? text : [text]).map(String);
}
// The visible clip rectangle (page coordinates) of el: its box cut by clipping ancestors.
function visibleBox(el) {
  const r = el.getBoundingClientRect();
  const box = {x1: r.left, y1: r.top, x2: r.right, y2: r.bottom};
  let xOpen = true, yOpen = true;  // beyond a scroller, what is cut off is reached by scrolling
  for (let e = el.parentElement; e && e !== document.body && (xOpen || yOpen); e = e.parentElement) {
    const cs = getComputedStyle(e);
    const b = e.getBoundingClientRect();
    if (xOpen && /hidden|clip/.test(cs.overflowX)) { box.x1 = Math.max(box.x1, b.left); box.x2 = Math.min(box.x2, b.right); }
    if (yOpen && /hidden|clip/.test(cs.overflowY)) { box.y1 = Math.max(box.y1, b.top); box.y2 = Math.min(box.y2, b.bottom); }
    if (/auto|scroll/.test(cs.overflowX)) xOpen = false;
    if (/auto|scroll/.test(cs.overflowY)) yOpen = false;
  }
  return box;
}
// A chart is named by its key, its number on the page, its title and the (sub)heading above it.
function chartName(embed, index, titles) {
  const keyed = embed.closest('[class*=st-key-]');
  const key = keyed && [...keyed.classList].find(c => c.startsWith('st-key-'));
  const where = embed.closest('[data-testid=stSidebar]') ? '[data-testid=stSidebar]' : '[data-testid=stMain]';
  const root = embed.closest('[data-testid=stSidebar], [data-testid=stMain]') || document;
  const above = [...root.querySelectorAll('h2, h3')].filter(h =>
    shown(h) && (embed.compareDocumentPosition(h) & Node.DOCUMENT_POSITION_PRECEDING)).pop();
  const heading = above ? ` under "${clean(above.textContent)}"` : '';
  return `${where} ${key ? '.' + key + ' ' : ''}chart #${index + 1}${titles ? ` "${titles}"` : ''}${heading}`;
}
// Every text and filled rect of the scenegraph in drawing order, in surface coordinates.
function sceneItems(view) {
  const texts = [], rects = [], shapes = [], cells = [];
  let order = 0;
  const [ox, oy] = typeof view.origin === 'function' ? view.origin() : [0, 0];
  function visitMark(mark, x, y, opacity, roles) {
    if (!mark || !Array.isArray(mark.items)) return;
    const role = [...roles, mark.role].filter(Boolean);
    for (const item of mark.items) {
      const op = opacity * (item.opacity ?? 1);
      if (mark.marktype === 'group') {
        const gx = x + (item.x || 0), gy = y + (item.y || 0);
        if (item.fill && typeof item.fill === 'string') {
          rects.push({x1: gx, y1: gy, x2: gx + (item.width || 0), y2: gy + (item.height || 0),
            fill: item.fill, alpha: op * (item.fillOpacity ?? 1), order: order++});
        }
        // a plot area: a group with axes (the view of a single chart, or one of a concat)
        if ((item.items || []).some(m => m.role === 'axis')) {
          cells.push({width: item.width || 0, height: item.height || 0});
        }
        for (const child of item.items || []) visitMark(child, gx, gy, op, role);
      } else if (mark.marktype === 'rect') {
        if (item.fill && typeof item.fill === 'string') {
          const x1 = x + (item.x || 0), y1 = y + (item.y || 0);
          rects.push({x1, y1, x2: x1 + (item.width || 0), y2: y1 + (item.height || 0),
            fill: item.fill, alpha: op * (item.fillOpacity ?? 1), order: order++});
        }
      } else if (mark.marktype === 'text') {
        const b = item.bounds;
        const alpha = op * (item.fillOpacity ?? 1);
        const text = lines(item);
        if (!b || !text.join('').trim() || alpha < 0.01 || !item.fill || b.x2 <= b.x1) { order++; continue; }
        texts.push({item, role: role.join('/') + (mark.name ? `:${mark.name}` : ''), alpha,
          text, x1: x + b.x1, y1: y + b.y1, x2: x + b.x2, y2: y + b.y2, order: order++});
      } else {
        const b = item.bounds;
        if (mark.role === 'mark' && b && b.x2 >= b.x1 && op > 0.01) {
          shapes.push({x1: x + b.x1, y1: y + b.y1, x2: x + b.x2, y2: y + b.y2});
        }
        order++;
      }
    }
  }
  visitMark(view.scenegraph().root, ox, oy, 1, []);
  return {texts, rects, shapes, cells};
}
function chartBackground(view, embed) {
  const base = backgroundOf(embed) || {r: 255, g: 255, b: 255, a: 1};
  let bg = null;
  try { bg = parseColour(view && view.background()); } catch (e) {}
  return bg && bg.a > 0 ? over(bg, base) : base;
}
function checkScene(view, embed, surface, name, offenders) {
  const {texts, rects, shapes, cells} = sceneItems(view);
  const s = surface.getBoundingClientRect();
  const clip = visibleBox(surface);
  const page = chartBackground(view, embed);
  const titles = clean(texts.filter(t => /title-text/.test(t.role)).map(t => t.text.join(' ')).join(' / '));
  const where = chartName(embed, name, titles);
  for (const t of texts) {
    const item = t.item, shown = t.text.join(' ');
    const label = `${where} ${t.role}`;
    // truncated: Vega replaced the end of the text by an ellipsis to keep within item.limit
    let cut = false, rendered = shown;
    if (item._svg && item._svg.isConnected) {
      rendered = clean(item._svg.textContent);
      cut = (rendered.split(ELLIPSIS).length > shown.split(ELLIPSIS).length);
    } else if (item.limit > 0) {
      scratch.font = textFont(item);
      cut = t.text.some(line => scratch.measureText(line).width > item.limit + 0.5);
    }
    if (cut) offenders.push({kind: 'truncated', selector: label, text: clean(shown), rendered, limit: item.limit});
    // clipped: the text's box runs past the drawn surface (or a clipping ancestor of it)
    const page1 = {x1: s.left + t.x1, y1: s.top + t.y1, x2: s.left + t.x2, y2: s.top + t.y2};
    const lost = Math.max(clip.x1 - page1.x1, page1.x2 - clip.x2, clip.y1 - page1.y1, page1.y2 - clip.y2);
    if (lost > 1) {
      offenders.push({kind: 'clipped', selector: label, text: clean(shown),
        box: [t.x1, t.y1, t.x2, t.y2].map(v => Math.round(v)), surface: [Math.round(s.width), Math.round(s.height)],
        outBy: Math.round(lost)});
    }
    // contrast: the fill over the filled rects behind the text's centre, over the background
    const cx = (t.x1 + t.x2) / 2, cy = (t.y1 + t.y2) / 2;
    let bg = page;
    for (const r of rects) {
      if (r.order > t.order) break;
      if (r.alpha <= 0 || cx < Math.min(r.x1, r.x2) || cx > Math.max(r.x1, r.x2) ||
          cy < Math.min(r.y1, r.y2) || cy > Math.max(r.y1, r.y2)) continue;
      const c = parseColour(r.fill);
      if (c && c.a > 0) bg = over({...c, a: c.a * r.alpha}, bg);
    }
    const colour = typeof item.fill === 'string' ? parseColour(item.fill) : null;
    if (colour) {
      const fg = over({...colour, a: colour.a * t.alpha}, bg);
      const value = ratio(fg, bg), size = item.fontSize ?? 11, need = needed(size, item.fontWeight ?? 400);
      if (value + 1e-9 < need) {
        offenders.push({kind: 'contrast', selector: label, text: clean(shown), ratio: +value.toFixed(2),
          required: need, color: css({...colour, a: colour.a * t.alpha}), rendered: hex(fg), background: hex(bg),
          fontSize: size, fontWeight: item.fontWeight ?? 'normal'});
      }
    }
  }
  // squeezed: a plot area left (nearly) no room by its labels, legends or titles
  for (const cell of cells) {
    if (cell.width < 20 || cell.height < 20) {
      offenders.push({kind: 'squeezed', selector: `${where} plot area`, text: `${titles || 'the plot'}`,
        plot: [Math.round(cell.width), Math.round(cell.height)], surface: [Math.round(s.width), Math.round(s.height)]});
    }
  }
  // clipped: data marks (bars, points, rules) drawn wholly outside the visible surface
  const away = shapes.filter(m => s.left + m.x1 >= clip.x2 || s.left + m.x2 <= clip.x1 ||
    s.top + m.y1 >= clip.y2 || s.top + m.y2 <= clip.y1);
  if (away.length) {
    offenders.push({kind: 'clipped', selector: `${where} marks`,
      text: `${away.length} of ${shapes.length} data marks`, surface: [Math.round(s.width), Math.round(s.height)],
      box: [Math.min(...away.map(m => m.x1)), Math.min(...away.map(m => m.y1)),
            Math.max(...away.map(m => m.x2)), Math.max(...away.map(m => m.y2))].map(v => Math.round(v)),
      outBy: Math.round(Math.min(...away.map(m => Math.max(clip.x1 - s.left - m.x2, s.left + m.x1 - clip.x2,
        clip.y1 - s.top - m.y2, s.top + m.y1 - clip.y2))))});
  }
  // overlap: two visible text boxes of the chart cross (the same text drawn twice in place is
  // a halo, not an overlap)
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1), h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
      if (w <= 1.5 || h <= 1.5) continue;
      if (a.text.join() === b.text.join() && Math.abs(a.x1 - b.x1) < 1 && Math.abs(a.y1 - b.y1) < 1) continue;
      offenders.push({kind: 'overlap', selector: `${where} ${a.role} × ${b.role}`,
        text: `${clean(a.text.join(' '))} × ${clean(b.text.join(' '))}`, overlap: [Math.round(w), Math.round(h)]});
    }
  }
}
// Without the Vega view: an SVG chart is read from its <text> elements.
function checkSvg(embed, surface, index, offenders) {
  const s = surface.getBoundingClientRect();
  const clip = visibleBox(surface);
  const bg = chartBackground(null, embed);
  const where = chartName(embed, index, '');
  for (const el of surface.querySelectorAll('text')) {
    const text = clean(el.textContent);
    const r = el.getBoundingClientRect();
    if (!text || r.width < 1 || opacityOf(el) < 0.05) continue;
    if (text.endsWith(ELLIPSIS)) offenders.push({kind: 'truncated', selector: `${where} text`, text});
    const lost = Math.max(clip.x1 - r.left, r.right - clip.x2, clip.y1 - r.top, r.bottom - clip.y2);
    if (lost > 1) offenders.push({kind: 'clipped', selector: `${where} text`, text, outBy: Math.round(lost)});
    const cs = getComputedStyle(el);
    const colour = parseColour(cs.fill);
    if (!colour || colour.a === 0) continue;
    const alpha = colour.a * (parseFloat(cs.fillOpacity) || 1) * opacityOf(el);
    const fg = over({...colour, a: alpha}, bg);
    const value = ratio(fg, bg), size = parseFloat(cs.fontSize), need = needed(size, cs.fontWeight);
    if (value + 1e-9 < need) {
      offenders.push({kind: 'contrast', selector: `${where} text`, text, ratio: +value.toFixed(2), required: need,
        color: css({...colour, a: alpha}), rendered: hex(fg), background: hex(bg), fontSize: size,
        fontWeight: cs.fontWeight});
    }
  }
}
function charts(offenders) {
  [...document.querySelectorAll('.vega-embed')].forEach((embed, index) => {
    if (!shown(embed)) return;
    const surface = embed.querySelector('svg.marks, canvas.marks') || embed.querySelector(':scope > svg, :scope > canvas');
    if (!surface) {
      offenders.push({kind: 'unchecked', selector: chartName(embed, index, ''), text: 'the chart has not been drawn'});
      return;
    }
    const view = findView(embed);
    if (view) checkScene(view, embed, surface, index, offenders);
    else if (surface.tagName.toLowerCase() === 'svg') checkSvg(embed, surface, index, offenders);
    else offenders.push({kind: 'unchecked', selector: chartName(embed, index, ''),
      text: 'a canvas chart whose Vega view could not be found'});
  });
}
"""

AUDIT_JS = (
    "() => {\n"
    + _HELPERS
    + _DOM_CHECKS
    + _GRID_CHECKS
    + _CHART_CHECKS
    + """
const offenders = [];
for (const error of document.querySelectorAll('[data-testid=stException]')) {
  offenders.push({kind: 'error', selector: describe(error), text: clean(error.textContent)});
}
truncations(offenders);
domContrast(offenders);
grids(offenders);
charts(offenders);
return offenders;
}"""
)

# Open every closed expander shown, so that what they hold is audited too (a click on the
# summary opens it in the browser; the script does not run again).
_OPEN_EXPANDERS_JS = """() => {
    const closed = [...document.querySelectorAll('[data-testid=stExpander] details:not([open])')]
        .filter(d => d.offsetParent !== null);
    closed.forEach(d => d.querySelector('summary').click());
    return closed.length;
}"""


def open_expanders(page) -> None:
    if page.evaluate(_OPEN_EXPANDERS_JS):
        settle(page)


def audit(page) -> list[dict]:
    """The offenders on the page as it is drawn now (see the module's docstring)."""
    return page.evaluate(AUDIT_JS)


def tab_names(page) -> list[str]:
    """The labels of the page's st.tabs, in order."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stTabs] [role=tab]')]
            .map(t => t.innerText.trim())"""
    )


def open_tab(page, name: str) -> None:
    page.get_by_test_id("stMain").get_by_role("tab", name=name, exact=True).click()
    settle(page)


def audit_views(page, url: str, path: str) -> dict[str, list[dict]]:
    """Open ``url/path`` and audit it with each of its tabs open: view name -> offenders."""
    page.goto(f"{url}/{path}")
    settle(page)
    open_expanders(page)
    tabs = tab_names(page)
    found = {tabs[0] if tabs else "": audit(page)}
    for name in tabs[1:]:
        open_tab(page, name)
        open_expanders(page)
        found[name] = audit(page)
    return found


def detail(offender: dict) -> str:
    """The measurements of an offender, in words."""
    kind = offender["kind"]
    if kind == "contrast":
        alpha = f" opacity {offender['opacity']}" if offender.get("opacity", 1) < 1 else ""
        return (
            f"{offender['ratio']}:1 < {offender['required']}:1, {offender['color']}{alpha} "
            f"(renders {offender['rendered']}) on {offender['background']}, "
            f"{offender['fontSize']}px/{offender['fontWeight']}"
        )
    if kind == "truncated" and "scrollWidth" in offender:
        spills = ", not clipped: it spills out" if offender["overflow"] == "visible" else ""
        if offender["scrollWidth"] > offender["clientWidth"] + 1:
            return f"scrollWidth {offender['scrollWidth']} > clientWidth {offender['clientWidth']}{spills}"
        return f"scrollHeight {offender['scrollHeight']} > clientHeight {offender['clientHeight']}"
    if kind == "truncated" and "textWidth" in offender:
        return (
            f"header text {offender['textWidth']}px > {offender['room']}px of room "
            f"(column {offender['columnWidth']}px)"
        )
    if kind == "truncated" and "rendered" in offender:
        return f"shortened with an ellipsis to its {offender['limit']}px limit"
    if kind == "clipped" and "surface" in offender:
        width, height = offender["surface"]
        return f"{offender['outBy']}px past the edge of the {width}x{height} chart"
    if kind == "clipped":
        return f"{offender['outBy']}px past the chart's edge"
    if kind == "squeezed":
        (width, height), (outer, tall) = offender["plot"], offender["surface"]
        return f"the plot area is {width}x{height}px of the {outer}x{tall} chart"
    if kind == "overlap":
        return f"boxes overlap by {offender['overlap'][0]}x{offender['overlap'][1]}px"
    return ""


KINDS = ("error", "unchecked", "squeezed", "truncated", "clipped", "overlap", "contrast")


def grouped(found: dict[tuple[str, str, str], list[dict]]) -> dict:
    """``found`` ((page, size, tab) -> offenders) as (page, size) -> {(kind, selector, text,
    measurements): the tabs it was seen in}: an offender seen again in another tab of the same
    page at the same size (the page's title, the sidebar) counts once."""
    groups: dict[tuple[str, str], dict[tuple[str, str, str, str], list[str]]] = defaultdict(dict)
    for (page, size, tab), offenders in found.items():
        group = groups[(page, size)]
        for o in offenders:
            group.setdefault((o["kind"], o["selector"], o["text"], detail(o)), []).append(tab)
    return groups


def count(found: dict[tuple[str, str, str], list[dict]]) -> int:
    """How many offenders ``found`` holds, each once per page and size."""
    return sum(len(group) for group in grouped(found).values())


def report(found: dict[tuple[str, str, str], list[dict]]) -> str:
    """The offenders of ``found`` by page and size, one line each: kind, selector, [the tabs it
    shows in, when not all of the page's], text and measurements. Chart texts of one chart and
    role with the same measurements (all the axis labels in one grey) share a line."""
    lines = []
    for (page, size), group in grouped(found).items():
        if not group:
            continue
        tabs = {tab for (p, s, tab) in found if (p, s) == (page, size)}
        merged: dict[tuple, list[str]] = {}
        for (kind, selector, text, measured), seen in group.items():
            where = ""
            if len(tabs) > 1 and len(set(seen)) < len(tabs):
                where = f" [{', '.join(dict.fromkeys(seen))}]"
            line = (kind, selector + where, measured)
            if " chart #" not in selector:
                line += (text,)  # one line per DOM element
            merged.setdefault(line, []).append(text)
        lines.append(f"{page} at {size}: {len(group)}")
        for kind, selector, measured, *_ in sorted(merged, key=lambda k: KINDS.index(k[0])):
            texts = merged[(kind, selector, measured, *_)]
            shown = " · ".join(repr(t) for t in texts)
            many = f" ({len(texts)} texts)" if len(texts) > 1 else ""
            lines.append(f"  {kind}: {selector}{many} | {shown} | {measured}".rstrip(" |"))
    return "\n".join(lines)


def audit_dashboard(
    url: str, browser, sizes=SIZES, pages=PAGES
) -> dict[tuple[str, str, str], list]:
    """Audit every page (and tab) at every size: (page, size, tab) -> offenders."""
    found = {}
    context = browser.new_context(viewport={"width": sizes[0][0], "height": sizes[0][1]})
    page = context.new_page()
    try:
        for width, height in sizes:
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                for view, offenders in audit_views(page, url, path).items():
                    found[(name, f"{width}x{height}", view)] = offenders
    finally:
        context.close()
    return found


def main() -> int:
    """Print the audit of a fresh demo dashboard."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from gapmodel.tools.demo import build_demo

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo(db, n_respondents=300, n_waves=3)
        with running_dashboard(db) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            found = audit_dashboard(url, browser)
            browser.close()
    print(f"{count(found)} offenders\n{report(found)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
