/* hitbot's own implementation of the Crowd HTML Elements that MTurk templates use (crowd-form and
 * its inputs, classifiers and the bounding box), with the same tags, attributes and answer format:
 * crowd-form posts `taskAnswers`, a JSON array holding one object of every named element's answer,
 * to turkSubmitTo + '/mturk/externalSubmit' with the assignmentId, as MTurk's own library does.
 * Served in place of https://assets.crowd.aws/crowd-html-elements.js (which hitbot does not ship).
 * Touch first: the page runs in a phone's Telegram Mini App. */
(function () {
  'use strict';
  if (!window.customElements || window.customElements.get('crowd-form')) return;

  var params = new URLSearchParams(window.location.search);
  var STYLE = 'crowd-form{display:block}crowd-form .crowd-submit,crowd-button button{font:inherit;padding:.7em 1.4em;' +
    'border-radius:.5em;border:0;background:#2481cc;color:#fff;margin:.8em 0;min-height:44px}' +
    '.crowd-field{display:block;margin:.6em 0}.crowd-field input,.crowd-field textarea{display:block;width:100%;' +
    'box-sizing:border-box;font:inherit;padding:.5em;margin-top:.2em}.crowd-field input[type=radio],' +
    '.crowd-field input[type=checkbox]{display:inline-block;width:1.3em;height:1.3em;margin:0 .5em 0 0;' +
    'vertical-align:middle}label.crowd-field.crowd-toggle{padding:.4em 0;min-height:32px}.crowd-choices button{font:inherit;margin:.2em;' +
    'padding:.6em 1em;min-height:44px;border:1px solid #2481cc;border-radius:.5em;background:#fff;color:#2481cc}' +
    '.crowd-choices button[aria-pressed=true]{background:#2481cc;color:#fff}.crowd-bbox{position:relative;' +
    'touch-action:none;user-select:none;-webkit-user-select:none;display:inline-block;max-width:100%}' +
    '.crowd-bbox img{max-width:100%;display:block;pointer-events:none}.crowd-box{position:absolute;' +
    'border:2px solid #e53935;background:rgba(229,57,53,.12);box-sizing:border-box}.crowd-box span{position:absolute;' +
    'top:-1.5em;left:-2px;background:#e53935;color:#fff;font-size:12px;padding:0 .3em;white-space:nowrap}' +
    '.crowd-box b{position:absolute;right:-12px;top:-12px;width:24px;height:24px;border-radius:12px;background:#333;' +
    'color:#fff;text-align:center;line-height:24px;cursor:pointer}.crowd-error{color:#c62828;margin:.4em 0}' +
    'crowd-instructions,short-instructions,full-instructions{display:block}';
  var style = document.createElement('style');
  style.textContent = STYLE;
  (document.head || document.documentElement).appendChild(style);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }

  // categories="['Cat', 'Dog']" (single quotes, as the templates write them) or a JSON array.
  function list(value) {
    if (!value) return [];
    try { return JSON.parse(value); } catch (e) { /* the single-quoted form */ }
    var out = [], re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g, m;
    while ((m = re.exec(value)) !== null) out.push((m[1] !== undefined ? m[1] : m[2]).replace(/\\(.)/g, '$1'));
    return out;
  }

  function isRequired(e) { return e.hasAttribute('required'); }

  // An element is connected before its children are parsed (the script sits in <head>): build once the
  // document is parsed, parents before children (listeners run in the order they were added).
  function whenParsed(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }

  // --- inputs --------------------------------------------------------------------------------
  function defineField(tag, make) {
    customElements.define(tag, class extends HTMLElement {
      connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
        if (this._input) return;
        var label = el('label', {class: 'crowd-field'}, this.getAttribute('label') || '');
        this._input = make(this);
        label.appendChild(this._input);
        this.appendChild(label);
      }
      get value() { return this._input ? this._input.value : (this.getAttribute('value') || ''); }
      answer() { return this.value; }
      missing() { return isRequired(this) && !this.value.trim(); }
    });
  }
  defineField('crowd-input', function (host) {
    var input = el('input', {type: host.getAttribute('type') || 'text'});
    ['placeholder', 'min', 'max', 'step', 'value', 'pattern'].forEach(function (a) {
      if (host.hasAttribute(a)) input.setAttribute(a, host.getAttribute(a));
    });
    if (host.hasAttribute('max-length')) input.maxLength = +host.getAttribute('max-length');
    if (host.hasAttribute('disabled')) input.disabled = true;
    return input;
  });
  defineField('crowd-text-area', function (host) {
    var area = el('textarea', {rows: host.getAttribute('rows') || '4'});
    if (host.hasAttribute('placeholder')) area.placeholder = host.getAttribute('placeholder');
    if (host.hasAttribute('max-length')) area.maxLength = +host.getAttribute('max-length');
    area.value = host.getAttribute('value') || '';
    return area;
  });

  // A checkbox or a radio button answers {"on": true|false} under its own name.
  function defineToggle(tag, type) {
    customElements.define(tag, class extends HTMLElement {
      connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
        if (this._input) return;
        var group = this.closest('crowd-radio-group');
        var label = el('label', {class: 'crowd-field crowd-toggle'});
        this._input = el('input', {type: type});
        if (type === 'radio') this._input.name = group ? group._groupName() : (this.getAttribute('name') || 'radio');
        this._input.checked = this.hasAttribute('checked');
        this._input.disabled = this.hasAttribute('disabled');
        while (this.firstChild) label.appendChild(this.firstChild);
        label.insertBefore(this._input, label.firstChild);
        this.appendChild(label);
      }
      get checked() { return !!(this._input && this._input.checked); }
      answer() { return {on: this.checked}; }
      missing() { return type === 'checkbox' && isRequired(this) && !this.checked; }
    });
  }
  var groups = 0;
  customElements.define('crowd-radio-group', class extends HTMLElement {
    _groupName() { if (!this._name) this._name = 'crowd-radio-' + (++groups); return this._name; }
    missing() {
      return isRequired(this) && !Array.prototype.some.call(this.querySelectorAll('crowd-radio-button'),
        function (b) { return b.checked; });
    }
  });
  defineToggle('crowd-radio-button', 'radio');
  defineToggle('crowd-checkbox', 'checkbox');

  // --- classifiers: one tap on a category answers {"label": category} ------------------------
  function choices(host, categories) {
    var box = el('div', {class: 'crowd-choices', role: 'group'});
    categories.forEach(function (c) {
      var b = el('button', {type: 'button', 'aria-pressed': 'false'}, c);
      b.addEventListener('click', function () {
        host._label = c;
        Array.prototype.forEach.call(box.children, function (x) { x.setAttribute('aria-pressed', String(x === b)); });
      });
      box.appendChild(b);
    });
    return box;
  }
  function defineClassifier(tag, withImage) {
    customElements.define(tag, class extends HTMLElement {
      connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
        if (this._built) return;
        this._built = true;
        if (this.getAttribute('header')) this.insertBefore(el('h3', {}, this.getAttribute('header')), this.firstChild);
        if (withImage && this.getAttribute('src')) {
          this.appendChild(el('img', {src: this.getAttribute('src'), alt: '', style: 'max-width:100%'}));
        }
        this.appendChild(choices(this, list(this.getAttribute('categories'))));
      }
      answer() { return {label: this._label == null ? null : this._label}; }
      missing() { return this._label == null; }  // MTurk's classifiers require a choice
    });
  }
  defineClassifier('crowd-classifier', false);
  defineClassifier('crowd-image-classifier', true);

  // --- bounding box: drag on the image; boxes in the image's own pixels -----------------------
  customElements.define('crowd-bounding-box', class extends HTMLElement {
    connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
      if (this._built) return;
      this._built = true;
      var self = this, labels = list(this.getAttribute('labels'));
      this._boxes = [];
      this._current = labels[0] || '';
      if (this.getAttribute('header')) this.appendChild(el('h3', {}, this.getAttribute('header')));
      if (labels.length > 1) {
        var picker = choices({}, labels);
        Array.prototype.forEach.call(picker.children, function (b, i) {
          b.addEventListener('click', function () { self._current = labels[i]; });
          if (i === 0) b.setAttribute('aria-pressed', 'true');
        });
        this.appendChild(picker);
      }
      var stage = el('div', {class: 'crowd-bbox'});
      var img = el('img', {src: this.getAttribute('src') || '', alt: ''});
      stage.appendChild(img);
      this.appendChild(stage);
      this._img = img;
      this._stage = stage;
      var start = null, drawing = null;
      function point(ev) {
        var r = stage.getBoundingClientRect();
        return {x: Math.max(0, Math.min(ev.clientX - r.left, r.width)), y: Math.max(0, Math.min(ev.clientY - r.top, r.height))};
      }
      stage.addEventListener('pointerdown', function (ev) {
        if (ev.target.tagName === 'B') return;
        start = point(ev);
        drawing = el('div', {class: 'crowd-box'});
        stage.appendChild(drawing);
        stage.setPointerCapture(ev.pointerId);
        ev.preventDefault();
      });
      stage.addEventListener('pointermove', function (ev) {
        if (!start) return;
        var p = point(ev);
        Object.assign(drawing.style, {left: Math.min(p.x, start.x) + 'px', top: Math.min(p.y, start.y) + 'px',
          width: Math.abs(p.x - start.x) + 'px', height: Math.abs(p.y - start.y) + 'px'});
      });
      stage.addEventListener('pointerup', function (ev) {
        if (!start) return;
        var p = point(ev), box = drawing;
        var shown = {left: Math.min(p.x, start.x), top: Math.min(p.y, start.y),
          width: Math.abs(p.x - start.x), height: Math.abs(p.y - start.y)};
        start = drawing = null;
        if (shown.width < 4 || shown.height < 4) { box.remove(); return; }  // a tap, not a box
        self._add(box, shown);
      });
    }
    _add(box, shown) {
      var self = this, entry = {shown: shown, label: this._current};
      box.appendChild(el('span', {}, entry.label));
      var del = el('b', {title: 'remove'}, '\u00d7');
      del.addEventListener('click', function () {
        box.remove();
        self._boxes = self._boxes.filter(function (b) { return b !== entry; });
      });
      box.appendChild(del);
      this._boxes.push(entry);
    }
    answer() {
      var img = this._img, scale = img && img.clientWidth ? img.naturalWidth / img.clientWidth : 1;
      return {
        boundingBoxes: this._boxes.map(function (b) {
          return {height: Math.round(b.shown.height * scale), label: b.label, left: Math.round(b.shown.left * scale),
            top: Math.round(b.shown.top * scale), width: Math.round(b.shown.width * scale)};
        }),
        inputImageProperties: {height: img ? img.naturalHeight : 0, width: img ? img.naturalWidth : 0}
      };
    }
    missing() { return false; }
  });

  // --- instructions: shown as foldable parts --------------------------------------------------
  customElements.define('crowd-instructions', class extends HTMLElement {
    connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
      if (this._built) return;
      this._built = true;
      var d = el('details'), s = el('summary', {}, this.getAttribute('link-text') || 'Instructions');
      d.appendChild(s);
      while (this.firstChild) d.appendChild(this.firstChild);
      this.appendChild(d);
    }
  });

  // --- the form ------------------------------------------------------------------------------
  var ANSWERING = 'crowd-input,crowd-text-area,crowd-checkbox,crowd-radio-button,crowd-classifier,' +
    'crowd-image-classifier,crowd-bounding-box';

  function flatten(obj, prefix, out) {
    Object.keys(obj).forEach(function (k) {
      var v = obj[k], key = prefix ? prefix + '.' + k : k;
      if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out); else out[key] = v;
    });
    return out;
  }

  customElements.define('crowd-form', class extends HTMLElement {
    connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
      if (this._built) return;
      this._built = true;
      var self = this;
      this._error = el('p', {class: 'crowd-error', role: 'alert'});
      this.appendChild(this._error);
      var own = this.querySelector('crowd-button[form-action="submit"], button[type="submit"], input[type="submit"]');
      if (!own) {
        var submit = el('button', {type: 'button', class: 'crowd-submit'}, 'Submit');
        this.appendChild(submit);
      }
      this.addEventListener('click', function (ev) {
        var t = ev.target.closest('crowd-button[form-action="submit"], button[type="submit"], input[type="submit"], .crowd-submit');
        if (t && self.contains(t)) { ev.preventDefault(); self.submit(); }
      });
      this.addEventListener('submit', function (ev) { ev.preventDefault(); self.submit(); });
    }
    answers() {
      var out = {};
      Array.prototype.forEach.call(this.querySelectorAll(ANSWERING), function (e) {
        var name = e.getAttribute('name');
        if (name && typeof e.answer === 'function') out[name] = e.answer();
      });
      // Plain inputs inside the form answer by their names too.
      Array.prototype.forEach.call(this.querySelectorAll('input[name], select[name], textarea[name]'), function (e) {
        if (e.closest(ANSWERING) || e.name === 'assignmentId') return;
        if ((e.type === 'radio' || e.type === 'checkbox') && !e.checked) return;
        out[e.name] = e.value;
      });
      if (this.getAttribute('answer-format') === 'flatten-objects') out = flatten(out, '', {});
      return out;
    }
    submit() {
      var missing = Array.prototype.filter.call(this.querySelectorAll(ANSWERING + ',crowd-radio-group'), function (e) {
        return typeof e.missing === 'function' && e.missing();
      });
      if (missing.length) {
        this._error.textContent = 'Please answer every required part before submitting.';
        missing[0].scrollIntoView({block: 'center'});
        return;
      }
      var to = params.get('turkSubmitTo'), assignment = params.get('assignmentId');
      if (!to || !assignment || assignment === 'ASSIGNMENT_ID_NOT_AVAILABLE') {
        this._error.textContent = 'This is a preview: accept the task in the chat to submit it.';
        return;
      }
      var form = el('form', {method: 'post', action: to.replace(/\/$/, '') + '/mturk/externalSubmit'});
      form.appendChild(el('input', {type: 'hidden', name: 'assignmentId', value: assignment}));
      form.appendChild(el('input', {type: 'hidden', name: 'taskAnswers', value: JSON.stringify([this.answers()])}));
      form.style.display = 'none';
      document.body.appendChild(form);
      form.submit();
    }
  });
  customElements.define('crowd-button', class extends HTMLElement {
    connectedCallback() { whenParsed(this._build.bind(this)); }
      _build() {
      if (this._built || this.querySelector('button')) return;
      this._built = true;
      var b = el('button', {type: 'button'});
      while (this.firstChild) b.appendChild(this.firstChild);
      this.appendChild(b);
    }
  });
})();
