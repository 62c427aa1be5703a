/*! kinabot chat widget: one file, no dependencies, no build step.
 * Embed:  <script src="https://HOST/widget.js" data-api="https://HOST" async></script>
 * or:     <kinabot-chat api="https://HOST" lang="auto"></kinabot-chat> (plus the script tag without data-*)
 * Attributes (data-* on the script tag, plain on the element): api, lang (auto|sv|zh|en),
 * position (bottom-right|bottom-left), greeting, greeting-sv|zh|en, accent, open, target, persist, timeout.
 * Theming: --kinabot-accent, --kinabot-accent-text, --kinabot-font, --kinabot-radius, --kinabot-bg,
 * --kinabot-text, --kinabot-muted, --kinabot-z. Server text is only ever set with textContent. */
(function () {
  'use strict';
  if (typeof window === 'undefined' || !window.customElements || !window.fetch) return;

  var TAG = 'kinabot-chat';
  var LANGS = ['sv', 'zh', 'en'];
  var ATTRS = ['api', 'lang', 'position', 'greeting', 'greeting-sv', 'greeting-zh', 'greeting-en', 'accent', 'open',
    'target', 'persist', 'timeout'];
  var script = document.currentScript;
  if (!script || !/widget\.js(\?|#|$)/.test(script.src || '')) {
    script = document.querySelector('script[src*="widget.js"]');
  }
  var scriptOrigin = location.origin;
  try { if (script && script.src) scriptOrigin = new URL(script.src, location.href).origin; } catch (e) { /* keep */ }
  var shared = window.__kinabot || (window.__kinabot = { autoMounted: false });

  // ---------------------------------------------------------------- texts
  var T = {
    sv: {
      name: 'Svenska', title: 'Fråga om Kronoberg och Suzhou', launcher: 'Fråga oss',
      openChat: 'Fråga oss: öppna chatten om Kronoberg och Suzhou', close: 'Stäng chatten', langs: 'Språk',
      greeting: 'Hej! Jag svarar på frågor om Region Kronoberg, Suzhou och affärer mellan Sverige och Kina. ' +
        'Skriv en fråga eller välj ett förslag.',
      suggestions: 'Förslag på frågor', ask: 'Fråga: ',
      note: 'Svaren kommer från en automatisk assistent som söker i regionens dokument. Kontrollera viktiga uppgifter i källan.',
      placeholder: 'Skriv din fråga…', input: 'Din fråga', send: 'Skicka frågan', you: 'Du frågade:',
      bot: 'Svar:', sources: 'Källor', show: 'Visa stycket', hide: 'Dölj stycket', newTab: '(öppnas i ny flik)',
      from: 'Stycket i källan', in: { sv: 'på svenska', zh: 'på kinesiska', en: 'på engelska' },
      helpful: 'Var svaret till hjälp?', voteup: 'Ja, svaret hjälpte', votedown: 'Nej, svaret hjälpte inte',
      thanks: 'Tack för ditt svar!', loading: 'Söker i dokumenten…', noAnswer: 'Jag hittar inget säkert svar i regionens dokument.',
      offline: 'Vi når inte tjänsten just nu. Kontrollera din internetanslutning och försök igen.',
      down: 'Tjänsten är tillfälligt otillgänglig. Försök igen om en liten stund.',
      slow: 'Svaret dröjer ovanligt länge. Försök igen om en liten stund.',
      busy: 'Det kommer många frågor just nu. Vänta {s} sekunder och försök sedan igen.',
      busyNoWait: 'Det kommer många frågor just nu. Vänta en stund och försök sedan igen.',
      retry: 'Försök igen'
    },
    zh: {
      name: '中文', title: '咨询克鲁努贝里与苏州', launcher: '提问', openChat: '提问：打开关于克鲁努贝里与苏州的对话',
      close: '关闭对话', langs: '语言',
      greeting: '您好！我可以回答有关克鲁努贝里地区、苏州以及瑞中商务往来的问题。请输入问题，或选择下面的建议。',
      suggestions: '建议问题', ask: '提问：',
      note: '回答由自动助手生成，内容检索自本地区的文件。重要信息请以原始来源为准。',
      placeholder: '请输入您的问题…', input: '您的问题', send: '发送问题', you: '您的问题：', bot: '回答：',
      sources: '来源', show: '查看原文段落', hide: '收起原文段落', newTab: '（在新标签页中打开）', from: '来源中的段落',
      in: { sv: '瑞典语', zh: '中文', en: '英语' },
      helpful: '这个回答有帮助吗？', voteup: '有帮助', votedown: '没有帮助', thanks: '感谢您的反馈！',
      loading: '正在检索文件…', noAnswer: '在本地区的文件中没有找到可靠的答案。',
      offline: '暂时无法连接服务，请检查网络连接后重试。', down: '服务暂时不可用，请稍后再试。',
      slow: '响应时间过长，请稍后再试。', busy: '当前提问较多，请等待 {s} 秒后再试。', busyNoWait: '当前提问较多，请稍后再试。',
      retry: '重试'
    },
    en: {
      name: 'English', title: 'Ask about Kronoberg and Suzhou', launcher: 'Ask us',
      openChat: 'Ask us: open the chat about Kronoberg and Suzhou', close: 'Close the chat', langs: 'Language',
      greeting: 'Hello! I answer questions about Region Kronoberg, Suzhou and doing business between Sweden and China. ' +
        'Type a question or pick a suggestion.',
      suggestions: 'Suggested questions', ask: 'Ask: ',
      note: "Answers come from an automated assistant that searches the region's documents. Check important details in the source.",
      placeholder: 'Type your question…', input: 'Your question', send: 'Send the question', you: 'You asked:',
      bot: 'Answer:', sources: 'Sources', show: 'Show the passage', hide: 'Hide the passage', newTab: '(opens in a new tab)',
      from: 'The passage in the source', in: { sv: 'in Swedish', zh: 'in Chinese', en: 'in English' },
      helpful: 'Was this helpful?', voteup: 'Yes, this helped', votedown: 'No, this did not help', thanks: 'Thank you for your feedback!',
      loading: 'Searching the documents…', noAnswer: "I could not find a reliable answer in the region's documents.",
      offline: 'We cannot reach the service right now. Please check your connection and try again.',
      down: 'The service is temporarily unavailable. Please try again in a little while.',
      slow: 'The answer is taking unusually long. Please try again in a little while.',
      busy: 'We are receiving many questions right now. Please wait {s} seconds and try again.',
      busyNoWait: 'We are receiving many questions right now. Please wait a moment and try again.',
      retry: 'Try again'
    }
  };

  // ---------------------------------------------------------------- icons (own markup, no server data)
  var ICONS = {
    chat: 'M4 4.5h16a1.5 1.5 0 0 1 1.5 1.5v10a1.5 1.5 0 0 1-1.5 1.5H10l-5 4v-4H4A1.5 1.5 0 0 1 2.5 16V6A1.5 1.5 0 0 1 4 4.5z',
    close: 'M6 6l12 12M18 6L6 18',
    send: 'M4 12h15M13 6l6 6-6 6',
    up: 'M7 10.5V20H4v-9.5h3zm0 0 4-7c1.4 0 2.6 1.2 2.3 2.6L12.7 9.5h5.6a2 2 0 0 1 2 2.4l-1.4 6.5a2 2 0 0 1-2 1.6H7',
    ext: 'M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5',
    more: 'M6 9l6 6 6-6'
  };
  var SVGNS = 'http://www.w3.org/2000/svg';
  function icon(name, size, flip) {
    var svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', size || 20);
    svg.setAttribute('height', size || 20);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(SVGNS, 'path');
    path.setAttribute('d', ICONS[name]);
    if (flip) path.setAttribute('transform', 'rotate(180 12 12)');
    svg.appendChild(path);
    return svg;
  }

  // ---------------------------------------------------------------- styles (static)
  var STYLE = [
    ':host{all:initial;display:block}',
    ':host([hidden]){display:none}',
    ':host([target]),:host([inline]){height:100%}',
    '.kb.inline{height:100%}',
    '.kb{--a:var(--kinabot-accent,#005a87);--at:var(--kinabot-accent-text,#fff);--ln:var(--kinabot-link,var(--a));',
    '--bg:var(--kinabot-bg,#fff);--fg:var(--kinabot-text,#1b1f23);--mu:var(--kinabot-muted,#545b62);--bd:#d3d8dd;',
    '--r:var(--kinabot-radius,12px);--z:var(--kinabot-z,2147483000);',
    'font-family:var(--kinabot-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",',
    '"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif);',
    'font-size:15px;font-weight:400;font-style:normal;line-height:1.5;color:var(--fg);letter-spacing:normal;',
    'text-align:left;text-transform:none;text-indent:0;word-spacing:normal;-webkit-font-smoothing:antialiased}',
    '.kb *,.kb *::before,.kb *::after{box-sizing:border-box}',
    '.kb :focus{outline:none}',
    '.kb :focus-visible{outline:3px solid var(--a);outline-offset:2px}',
    '.sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
    'button{font:inherit;color:inherit;cursor:pointer}',
    'svg{display:block;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}',
    '.launcher{position:fixed;bottom:20px;right:20px;z-index:var(--z);display:flex;align-items:center;gap:8px;height:52px;',
    'padding:0 20px 0 16px;border:0;border-radius:26px;background:var(--a);color:var(--at);font-weight:600;font-size:16px;',
    'box-shadow:0 4px 14px rgba(0,0,0,.25)}',
    '.launcher:hover{filter:brightness(1.1)}',
    '.launcher:focus-visible{outline:3px solid var(--fg);outline-offset:3px}',
    '.left .launcher{right:auto;left:20px}',
    '.open .launcher .lt{display:none}',
    '.open .launcher{padding:0 14px}',
    '.panel{position:fixed;bottom:84px;right:20px;z-index:var(--z);width:400px;max-width:calc(100vw - 40px);',
    'height:640px;max-height:calc(100vh - 108px);display:flex;flex-direction:column;background:var(--bg);',
    'border:1px solid var(--bd);border-radius:var(--r);box-shadow:0 12px 40px rgba(0,0,0,.2);overflow:hidden}',
    '.left .panel{right:auto;left:20px}',
    '.panel[hidden]{display:none}',
    '.inline .panel{position:relative;bottom:auto;right:auto;left:auto;z-index:auto;width:100%;max-width:none;',
    'height:100%;min-height:480px;max-height:none;box-shadow:none}',
    'header{background:var(--a);color:var(--at);padding:12px 10px 10px 16px}',
    'header :focus-visible{outline-color:var(--at)}',
    '.top{display:flex;align-items:flex-start;gap:8px}',
    'h2{margin:0;flex:1;font-size:17px;font-weight:650;line-height:1.3;padding-top:4px}',
    '.x{width:36px;height:36px;display:grid;place-items:center;border:0;border-radius:8px;background:transparent;color:var(--at)}',
    '.x:hover{background:rgba(255,255,255,.15)}',
    '.langs{display:flex;gap:4px;margin-top:8px}',
    '.langs button{border:1px solid currentColor;border-radius:14px;background:transparent;color:var(--at);',
    'font-size:13px;line-height:1;padding:6px 10px;min-height:28px}',
    '.langs button[aria-pressed=true]{background:var(--at);color:var(--a);font-weight:600}',
    '.log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;display:flex;flex-direction:column;gap:14px;',
    'position:relative;background:var(--bg)}',
    '.msg{max-width:100%;overflow-wrap:anywhere}',
    '.me{align-self:flex-end;max-width:85%;background:var(--a);color:var(--at);padding:8px 12px;',
    'border-radius:var(--r) var(--r) 4px var(--r);white-space:pre-wrap}',
    '.bot{background:#f3f5f7;border:1px solid #e1e5e9;border-radius:4px var(--r) var(--r) var(--r);padding:12px 14px}',
    '.bot p{margin:0 0 0}',
    '.bot p+p{margin-top:8px}',
    '.contact{font-weight:600}',
    '.bot a,.welcome a{color:var(--ln);text-decoration:underline;text-underline-offset:2px}',
    'h3{margin:12px 0 6px;font-size:12px;font-weight:650;letter-spacing:.05em;text-transform:uppercase;color:var(--mu)}',
    'ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}',
    '.src a{font-weight:600}',
    '.src a svg{display:inline-block;vertical-align:-2px;margin-left:3px}',
    '.badge{display:inline-block;margin-left:6px;padding:0 8px;border-radius:10px;background:#e4ecf1;color:#1d3547;',
    'font-size:12px;line-height:20px;white-space:nowrap;vertical-align:1px}',
    '.pub{display:block;font-size:13px;color:var(--mu)}',
    '.more{display:inline-flex;align-items:center;gap:2px;margin-top:2px;padding:2px 0;border:0;background:none;',
    'color:var(--ln);font-size:13px;text-decoration:underline;text-underline-offset:2px}',
    '.more[aria-expanded=true] svg{transform:rotate(180deg)}',
    'blockquote{margin:6px 0 0;padding:8px 10px;border-left:3px solid var(--a);background:#fff;font-size:14px;',
    'white-space:pre-wrap;border-radius:0 6px 6px 0}',
    'mark{background:#ffe98a;color:#1b1f23;padding:0 1px;border-radius:2px}',
    '.fb{display:flex;align-items:center;gap:6px;margin-top:12px;font-size:13px;color:var(--mu)}',
    '.fb span{margin-right:2px}',
    '.fb button{width:34px;height:34px;display:grid;place-items:center;border:1px solid #7c858d;border-radius:8px;',
    'background:#fff;color:#3a4148}',
    '.fb button:hover{border-color:var(--a);color:var(--a)}',
    '.fb button[aria-pressed=true]{background:var(--a);border-color:var(--a);color:var(--at)}',
    '.fb button:disabled{cursor:default}',
    '.fb button:disabled:not([aria-pressed=true]){opacity:.6}',
    '.err{background:#fdf3f2;border-color:#e5b5b0;color:#7d1f16}',
    '.btn{display:inline-block;margin-top:10px;padding:8px 14px;border:0;border-radius:8px;background:var(--a);color:var(--at);font-weight:600}',
    '.btn:disabled{opacity:.6;cursor:default}',
    '.welcome{display:flex;flex-direction:column;gap:10px}',
    '.welcome p{margin:0}',
    '.sugg{display:flex;flex-direction:column;align-items:flex-start;gap:8px}',
    '.sugg button{border:1px solid var(--a);border-radius:16px;background:#fff;color:var(--ln);padding:6px 12px;',
    'font-size:14px;line-height:1.35;text-align:left}',
    '.sugg button:hover{background:#eef4f7}',
    '.wait{display:flex;align-items:center;gap:10px;color:var(--mu)}',
    '.dots{display:inline-flex;gap:4px}',
    '.dots i{width:7px;height:7px;border-radius:50%;background:var(--a);animation:kb 1.2s infinite ease-in-out}',
    '.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}',
    '@keyframes kb{0%,80%,100%{opacity:.25}40%{opacity:1}}',
    '@media (prefers-reduced-motion:reduce){.dots i{animation:none;opacity:.7}}',
    'form{display:flex;gap:8px;padding:10px 12px 6px;border-top:1px solid var(--bd);background:var(--bg)}',
    'input{flex:1;min-width:0;height:44px;padding:0 12px;border:1px solid #7c858d;border-radius:10px;background:#fff;',
    'color:var(--fg);font:inherit;font-size:16px}',
    'input::placeholder{color:#6b737b}',
    'input:focus-visible{outline:2px solid var(--a);outline-offset:0;border-color:var(--a)}',
    '.send{width:44px;height:44px;display:grid;place-items:center;border:0;border-radius:10px;background:var(--a);color:var(--at)}',
    '.send:disabled{opacity:.6;cursor:default}',
    '.note{margin:0;padding:0 14px 10px;font-size:12px;line-height:1.4;color:var(--mu);background:var(--bg)}',
    '@media (max-width:639.98px){',
    '.kb:not(.inline) .panel{top:0;left:0;right:0;bottom:0;width:100vw;max-width:none;height:100vh;height:100dvh;',
    'max-height:none;border:0;border-radius:0}',
    '.kb.open:not(.inline) .launcher{display:none}',
    '.launcher{bottom:16px;right:16px}.left .launcher{left:16px}}'
  ].join('');

  // ---------------------------------------------------------------- helpers
  function el(tag, props, kids) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'class') node.className = v;
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (kids || []).forEach(function (kid) {
      if (kid === null || kid === undefined || kid === false) return;
      node.appendChild(typeof kid === 'string' ? document.createTextNode(kid) : kid);
    });
    return node;
  }

  function pickLang(value) {
    var v = String(value || '').trim().toLowerCase().slice(0, 2);
    return LANGS.indexOf(v) >= 0 ? v : null;
  }

  function autoLang() {
    var found = pickLang(document.documentElement.getAttribute('lang'));
    if (found) return found;
    var list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (var i = 0; i < list.length; i++) {
      found = pickLang(list[i]);
      if (found) return found;
    }
    return 'sv';
  }

  function safeUrl(url) {
    try {
      var u = new URL(String(url), location.href);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // Text with http(s) links made clickable, built only from text nodes and anchors.
  function linkify(parent, text) {
    var re = /https?:\/\/[^\s<>"'（）()，。、]+[^\s<>"'（）()，。、.,;:!?]/g;
    var last = 0;
    var m;
    text = String(text);
    while ((m = re.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var href = safeUrl(m[0]);
      parent.appendChild(href ? el('a', { href: href, target: '_blank', rel: 'noopener noreferrer', text: m[0] })
        : document.createTextNode(m[0]));
      last = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  // Relative luminance contrast, to keep text on a page-chosen accent readable (WCAG AA).
  function rgbOf(color) {
    var probe = el('span', { style: 'display:none' });
    probe.style.color = color;
    document.body.appendChild(probe);
    var m = getComputedStyle(probe).color.match(/[\d.]+/g);
    probe.remove();
    return m ? m.slice(0, 3).map(Number) : null;
  }
  function luminance(rgb) {
    var c = rgb.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var x = luminance(a) + 0.05;
    var y = luminance(b) + 0.05;
    return x > y ? x / y : y / x;
  }

  var uid = 0;

  // ---------------------------------------------------------------- the element
  class KinabotChat extends HTMLElement {
    static get observedAttributes() { return ['lang', 'accent', 'position']; }

    connectedCallback() {
      if (this._ready) return; // mounts once, even when moved around the page
      var target = this.getAttribute('target');
      if (target && !this._moved) {
        var host = null;
        try { host = document.querySelector(target); } catch (e) { host = null; }
        if (host && host !== this.parentNode) {
          this._moved = true;
          host.appendChild(this); // connectedCallback runs again there
          return;
        }
      }
      this._ready = true;
      this._mount();
    }

    attributeChangedCallback(name) {
      if (!this._ready) return;
      if (name === 'lang') { this._explicit = false; this._setLang(this._initialLang(), true); }
      if (name === 'accent') this._applyAccent();
      if (name === 'position') this._root.classList.toggle('left', this.getAttribute('position') === 'bottom-left');
    }

    // Public API for pages: open(), close(), ask(question), setLang('sv'|'zh'|'en').
    open() { this._toggle(true); }
    close() { this._toggle(false); }
    ask(question) { this._toggle(true); this._ask(question); }
    setLang(lang) { var l = pickLang(lang); if (l) this._setLang(l, true); }

    _initialLang() {
      var v = (this.getAttribute('lang') || 'auto').toLowerCase();
      return v === 'auto' ? autoLang() : pickLang(v) || autoLang();
    }

    _mount() {
      var api = (this.getAttribute('api') || '').trim();
      this._api = (api || scriptOrigin).replace(/\/+$/, '');
      this._inline = this.hasAttribute('target') || this.hasAttribute('inline');
      this._persist = this.getAttribute('persist') === 'true';
      this._timeout = Math.max(1, parseFloat(this.getAttribute('timeout')) || 15) * 1000;
      this._id = 'kb' + ++uid;
      this._items = []; // [{q, a?, vote?}] : the conversation
      this._busy = false;
      this._explicit = false; // visitor chose a language in the panel: send it with questions
      this._suggest = {};
      this._lang = this._initialLang();
      this._isOpen = this._inline || this.getAttribute('open') === 'true' || this.getAttribute('open') === '';

      var saved = this._load();
      if (saved) {
        this._items = saved.items || [];
        if (saved.explicit && pickLang(saved.lang)) { this._lang = saved.lang; this._explicit = true; }
        if (saved.open) this._isOpen = true;
      }

      var shadow = this.attachShadow({ mode: 'open' });
      shadow.appendChild(el('style', { text: STYLE }));
      this._root = el('div', { class: 'kb' + (this._inline ? ' inline' : '') +
        (this.getAttribute('position') === 'bottom-left' ? ' left' : '') });
      shadow.appendChild(this._root);
      this._applyAccent();
      this._build();
      this._setLang(this._lang, false);
      this._items.forEach(function (item) { this._renderItem(item); }, this);
      this._toggle(this._isOpen, true);

      var self = this;
      if (!this._inline) {
        this._root.addEventListener('keydown', function (ev) {
          if (ev.key === 'Escape' && self._isOpen) { ev.stopPropagation(); self._toggle(false); }
        });
      }
      // With lang="auto", follow the page when it changes <html lang>.
      new MutationObserver(function () {
        var v = (self.getAttribute('lang') || 'auto').toLowerCase();
        if (v === 'auto' && !self._explicit) self._setLang(autoLang(), true);
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    }

    _applyAccent() {
      var accent = (this.getAttribute('accent') || '').trim();
      if (!accent || !(window.CSS && window.CSS.supports && window.CSS.supports('color', accent))) return;
      this.style.setProperty('--kinabot-accent', accent);
      var rgb = rgbOf(accent);
      if (!rgb) return;
      var white = [255, 255, 255];
      var dark = [27, 31, 35];
      this.style.setProperty('--kinabot-accent-text', contrast(rgb, white) >= 4.5 ? '#fff' : '#1b1f23');
      // A light accent is kept for surfaces; links and outlines then use the dark text colour.
      if (contrast(rgb, white) < 4.5 && contrast(rgb, dark) >= 4.5) this.style.setProperty('--kinabot-link', '#1b1f23');
    }

    _build() {
      var self = this;
      var id = this._id;
      if (!this._inline) {
        this._launcher = el('button', { class: 'launcher', type: 'button', 'aria-controls': id + 'p', 'aria-expanded': 'false',
          onclick: function () { self._toggle(!self._isOpen); } }, [icon('chat', 22), el('span', { class: 'lt' })]);
        this._root.appendChild(this._launcher);
      }
      this._title = el('h2', { id: id + 't' });
      this._closeBtn = this._inline ? null : el('button', { class: 'x', type: 'button',
        onclick: function () { self._toggle(false); } }, [icon('close', 22)]);
      this._langGroup = el('div', { class: 'langs', role: 'group' });
      LANGS.forEach(function (l) {
        self._langGroup.appendChild(el('button', { type: 'button', lang: l, 'data-lang': l, text: T[l].name,
          onclick: function () { self._explicit = true; self._setLang(l, true); self._save(); } }));
      });
      this._log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions' });
      this._welcome = el('div', { class: 'msg bot welcome' });
      this._log.appendChild(this._welcome);
      this._input = el('input', { type: 'text', maxlength: 500, autocomplete: 'off', enterkeyhint: 'send' });
      this._sendBtn = el('button', { class: 'send', type: 'submit' }, [icon('send', 22)]);
      this._form = el('form', { onsubmit: function (ev) {
        ev.preventDefault();
        var q = self._input.value;
        if (q.trim() && !self._busy) { self._input.value = ''; self._ask(q); }
      } }, [this._input, this._sendBtn]);
      this._note = el('p', { class: 'note' });
      this._panel = el('section', { class: 'panel', id: id + 'p', role: this._inline ? 'region' : 'dialog',
        'aria-labelledby': id + 't' }, [
        el('header', null, [el('div', { class: 'top' }, [this._title, this._closeBtn]), this._langGroup]),
        this._log, this._form, this._note
      ]);
      this._root.appendChild(this._panel);
    }

    _toggle(open, quiet) {
      if (this._inline) open = true;
      this._isOpen = open;
      this._panel.hidden = !open;
      this._root.classList.toggle('open', open);
      if (this._launcher) this._launcher.setAttribute('aria-expanded', String(open));
      if (open && !this._suggest[this._lang]) this._loadSuggestions();
      if (quiet) return;
      if (open) this._input.focus();
      else if (this._launcher) this._launcher.focus();
      this._save();
    }

    _setLang(lang, reload) {
      this._lang = lang;
      var t = T[lang];
      this._root.setAttribute('lang', lang === 'zh' ? 'zh-Hans' : lang);
      if (this._launcher) {
        this._launcher.setAttribute('aria-label', t.openChat);
        this._launcher.lastChild.textContent = t.launcher;
      }
      this._title.textContent = t.title;
      if (this._closeBtn) this._closeBtn.setAttribute('aria-label', t.close);
      this._langGroup.setAttribute('aria-label', t.langs);
      Array.prototype.forEach.call(this._langGroup.children, function (b) {
        b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang));
      });
      this._log.setAttribute('aria-label', t.title);
      this._input.setAttribute('placeholder', t.placeholder);
      this._input.setAttribute('aria-label', t.input);
      this._sendBtn.setAttribute('aria-label', t.send);
      this._note.textContent = t.note;
      this._renderWelcome();
      if (reload && !this._busy) {
        // Redraw the conversation so every label speaks the new language.
        while (this._log.lastChild !== this._welcome) this._log.removeChild(this._log.lastChild);
        this._items = this._items.filter(function (i) { return i.a; });
        this._items.forEach(function (item) { this._renderItem(item); }, this);
        this._scrollDown();
      }
      if (reload && this._isOpen) this._loadSuggestions();
    }

    _greeting() {
      var custom = this.getAttribute('greeting-' + this._lang) || this.getAttribute('greeting');
      return custom || T[this._lang].greeting;
    }

    _renderWelcome() {
      var self = this;
      var t = T[this._lang];
      var list = this._suggest[this._lang] || [];
      var w = this._welcome;
      w.textContent = '';
      w.appendChild(el('p', { text: this._greeting() }));
      if (!list.length) return;
      var ul = el('ul', { class: 'sugg', 'aria-label': t.suggestions });
      list.slice(0, 4).forEach(function (q) {
        ul.appendChild(el('li', null, [el('button', { type: 'button', 'aria-label': t.ask + q, text: q,
          onclick: function () { self._ask(q); } })]));
      });
      w.appendChild(ul);
    }

    _loadSuggestions() {
      var self = this;
      var lang = this._lang;
      if (this._suggest[lang]) { this._renderWelcome(); return; }
      var ctrl = new AbortController();
      var timer = setTimeout(function () { ctrl.abort(); }, this._timeout);
      fetch(this._api + '/api/suggestions?lang=' + lang, { credentials: 'omit', signal: ctrl.signal })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          var qs = data && Array.isArray(data.questions) ? data.questions.filter(function (q) {
            return typeof q === 'string' && q.trim();
          }) : [];
          if (qs.length) self._suggest[lang] = qs.slice(0, 4);
          if (self._lang === lang) self._renderWelcome();
        })
        .catch(function () { /* suggestions are optional */ })
        .then(function () { clearTimeout(timer); });
    }

    _ask(question) {
      var q = String(question || '').trim().slice(0, 500);
      if (!q || this._busy) return;
      var item = { q: q, lang: this._explicit ? this._lang : null };
      this._items.push(item);
      var bubble = this._renderItem(item);
      this._log.scrollTop = bubble.offsetTop - 12;
      this._send(item);
    }

    _send(item) {
      var self = this;
      var t = T[this._lang];
      this._busy = true;
      this._sendBtn.disabled = true;
      this._log.setAttribute('aria-busy', 'true');
      var wait = el('div', { class: 'msg wait', role: 'status' },
        [el('span', { class: 'dots', 'aria-hidden': 'true' }, [el('i'), el('i'), el('i')]), el('span', { text: t.loading })]);
      this._log.appendChild(wait);
      this._scrollDown();
      var body = { question: item.q };
      if (item.lang) body.lang = item.lang;
      var ctrl = new AbortController();
      var timedOut = false;
      var timer = setTimeout(function () { timedOut = true; ctrl.abort(); }, this._timeout);
      var status = 0;
      var retryAfter = null;
      fetch(this._api + '/api/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body), credentials: 'omit', signal: ctrl.signal })
        .then(function (r) {
          status = r.status;
          retryAfter = r.headers.get('Retry-After');
          return r.json().catch(function () { return null; });
        })
        .then(function (data) {
          if (timedOut) return { error: 'slow' };
          if (status === 200 && data && typeof data === 'object') return { data: data };
          return { error: status === 429 ? 'busy' : status >= 500 || !data ? 'down' : 'client',
            message: data && data.error && typeof data.error.message === 'string' ? data.error.message : '' };
        }, function () {
          return { error: timedOut ? 'slow' : 'offline' };
        })
        .then(function (result) {
          clearTimeout(timer);
          wait.remove();
          self._busy = false;
          self._sendBtn.disabled = false;
          self._log.removeAttribute('aria-busy');
          if (result.data) {
            item.a = result.data;
            self._renderAnswer(item, self._log);
            if (item.el) self._log.scrollTop = item.el.offsetTop - 12;
            self._save();
          } else {
            self._renderError(item, result, retryAfter);
          }
        });
    }

    _scrollDown() { this._log.scrollTop = this._log.scrollHeight; }

    _renderItem(item) {
      var t = T[this._lang];
      var bubble = el('div', { class: 'msg me' }, [el('span', { class: 'sr', text: t.you + ' ' }), item.q]);
      this._log.appendChild(bubble);
      Object.defineProperty(item, 'el', { value: bubble, configurable: true, writable: true });
      if (item.a) this._renderAnswer(item, this._log);
      return bubble;
    }

    _renderAnswer(item, parent) {
      var self = this;
      var t = T[this._lang];
      var a = item.a;
      var box = el('article', { class: 'msg bot', lang: pickLang(a.answer_language || a.language) || null });
      box.appendChild(el('span', { class: 'sr', text: t.bot + ' ' }));
      if (a.no_answer || !a.answer) {
        box.appendChild(el('p', { text: a.message || t.noAnswer }));
        if (a.contact) box.appendChild(linkify(el('p', { class: 'contact' }), a.contact));
      } else {
        box.appendChild(el('p', { class: 'answer', text: a.answer }));
        var sources = Array.isArray(a.sources) ? a.sources : [];
        if (sources.length) {
          box.appendChild(el('h3', { text: t.sources, lang: this._root.getAttribute('lang') }));
          var ul = el('ul', { class: 'src' });
          sources.forEach(function (s) { ul.appendChild(self._renderSource(s, a.passages)); });
          box.appendChild(ul);
        }
      }
      box.appendChild(this._renderFeedback(item));
      parent.appendChild(box);
      return box;
    }

    _renderSource(s, passages) {
      var t = T[this._lang];
      var slang = pickLang(s.lang);
      var href = safeUrl(s.url);
      var title = String(s.title || s.url || '');
      var li = el('li', { lang: slang });
      li.appendChild(href ? el('a', { href: href, target: '_blank', rel: 'noopener noreferrer' },
        [title, el('span', { class: 'sr', text: ' ' + t.newTab }), icon('ext', 14)]) : el('strong', { text: title }));
      if (slang && slang !== this._lang) li.appendChild(el('span', { class: 'badge', lang: this._lang, text: t.in[slang] }));
      if (s.publisher) li.appendChild(el('span', { class: 'pub', text: String(s.publisher) }));
      var list = Array.isArray(passages) ? passages : [];
      var p = list.filter(function (x) { return x.doc_id === s.doc_id && x.lang === s.lang && !x.below_threshold; })[0] ||
        list.filter(function (x) { return x.doc_id === s.doc_id; })[0];
      if (p && typeof p.text === 'string') {
        var pid = this._id + 'q' + ++uid;
        var quote = el('blockquote', { id: pid, hidden: true, 'aria-label': t.from });
        var chars = Array.from(p.text); // server offsets count code points
        var a = Math.max(0, Math.min(chars.length, p.match_start | 0));
        var b = Math.max(a, Math.min(chars.length, p.match_end | 0));
        quote.appendChild(document.createTextNode(chars.slice(0, a).join('')));
        if (b > a) quote.appendChild(el('mark', { text: chars.slice(a, b).join('') }));
        quote.appendChild(document.createTextNode(chars.slice(b).join('')));
        var label = el('span', { text: t.show });
        var btn = el('button', { class: 'more', type: 'button', 'aria-expanded': 'false', 'aria-controls': pid,
          onclick: function () {
            var show = quote.hidden;
            quote.hidden = !show;
            btn.setAttribute('aria-expanded', String(show));
            label.textContent = show ? t.hide : t.show;
          } }, [label, icon('more', 16)]);
        li.appendChild(el('div', { lang: this._lang }, [btn]));
        li.appendChild(quote);
      }
      return li;
    }

    _renderFeedback(item) {
      var self = this;
      var t = T[this._lang];
      var said = el('span', { role: 'status', text: item.vote ? t.thanks : t.helpful });
      var bar = el('div', { class: 'fb', lang: this._lang }, [said]);
      var buttons = ['up', 'down'].map(function (vote) {
        var b = el('button', { type: 'button', 'aria-label': t['vote' + vote], title: t['vote' + vote], 'aria-pressed': String(item.vote === vote),
          disabled: !!item.vote, onclick: function () {
            if (item.vote) return;
            item.vote = vote;
            buttons.forEach(function (x) { x.disabled = true; x.setAttribute('aria-pressed', String(x === b)); });
            said.textContent = t.thanks;
            self._save();
            self._feedback(item, vote);
          } }, [icon('up', 18, vote === 'down')]);
        bar.appendChild(b);
        return b;
      });
      return bar;
    }

    _feedback(item, vote) {
      var a = item.a || {};
      var body = { question: item.q, vote: vote, doc_ids: (a.sources || []).map(function (s) { return s.doc_id; }).slice(0, 20),
        lang: pickLang(a.language) || this._lang };
      fetch(this._api + '/api/feedback', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body), credentials: 'omit', keepalive: true }).catch(function () { /* best effort */ });
    }

    _renderError(item, result, retryAfter) {
      var self = this;
      var t = T[this._lang];
      var seconds = parseInt(retryAfter, 10);
      var text;
      if (result.error === 'busy') text = seconds > 0 ? t.busy.replace('{s}', seconds) : t.busyNoWait;
      else if (result.error === 'client') text = result.message || t.down;
      else text = t[result.error];
      var box = el('div', { class: 'msg bot err', role: 'alert' }, [el('p', { text: text })]);
      if (result.error !== 'client') {
        var btn = el('button', { class: 'btn', type: 'button', text: t.retry, onclick: function () {
          if (self._busy) return;
          box.remove();
          self._send(item);
        } });
        if (result.error === 'busy' && seconds > 0) {
          btn.disabled = true;
          setTimeout(function () { btn.disabled = false; }, Math.min(seconds, 120) * 1000);
        }
        box.appendChild(btn);
      } else {
        this._items.splice(this._items.indexOf(item), 1);
      }
      this._log.appendChild(box);
      this._scrollDown();
    }

    // ------------------------------------------------------------ opt-in persistence (sessionStorage)
    _key() { return 'kinabot:' + this._api; }

    _load() {
      if (!this._persist) return null;
      try { return JSON.parse(window.sessionStorage.getItem(this._key()) || 'null'); } catch (e) { return null; }
    }

    _save() {
      if (!this._persist) return;
      var keep = this._items.filter(function (i) { return i.a; }).slice(-30).map(function (i) {
        var a = i.a;
        var ids = (a.sources || []).map(function (s) { return s.doc_id; });
        return { q: i.q, lang: i.lang, vote: i.vote, a: { question: a.question, language: a.language,
          answer: a.answer, answer_language: a.answer_language, no_answer: a.no_answer, message: a.message,
          contact: a.contact, sources: a.sources,
          passages: (a.passages || []).filter(function (p) { return ids.indexOf(p.doc_id) >= 0; }) } };
      });
      try {
        window.sessionStorage.setItem(this._key(), JSON.stringify({ lang: this._lang, explicit: this._explicit,
          open: this._isOpen && !this._inline, items: keep }));
      } catch (e) { /* storage full or blocked */ }
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, KinabotChat);

  // ---------------------------------------------------------------- the one-tag embed
  function autoMount(tag) {
    if (document.querySelector(TAG)) return; // the page places <kinabot-chat> itself
    var node = document.createElement(TAG);
    ATTRS.forEach(function (name) {
      var v = tag.getAttribute('data-' + name);
      if (v !== null) node.setAttribute(name, v);
    });
    if (!node.getAttribute('api')) node.setAttribute('api', scriptOrigin);
    var parent = document.body;
    var target = node.getAttribute('target');
    if (target) {
      var found = null;
      try { found = document.querySelector(target); } catch (e) { found = null; }
      if (found) parent = found;
      else node.removeAttribute('target');
    }
    parent.appendChild(node);
  }

  if (script && !shared.autoMounted) {
    shared.autoMounted = true;
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', function () { autoMount(script); });
    } else {
      autoMount(script);
    }
  }
})();
