// Touchstone's rule language for conditional questions, on the phone: the same rules as
// touchpoints/conditions.py (the one definition; docs/guide/journey.md), so a follow-up
// appears and disappears the moment an answer changes, without signal. Both run the shared
// vectors in tests/touchpoints/condition_vectors.json.
// questions: [{lineage, kind, config, show_if}]; answers: {lineage: {value, na}} holding the
// stored form of each value (true/false, numbers, option indexes). Returns {lineage: shown}.
(function (root) {
  "use strict";

  function number(value) {
    if (value === null || value === undefined || typeof value === "boolean") return null;
    if (typeof value === "number") return isFinite(value) ? value : null;
    if (typeof value === "string") {
      var text = value.trim().replace(",", ".");
      // Python's float() takes the whole string or nothing: so does this.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
      return parseFloat(text);
    }
    return null;
  }

  function numberPasses(config, value) {
    var n = number(value);
    var threshold = number(config && config.threshold);
    if (n === null || threshold === null) return null;
    return config.rule === "at_most" ? n <= threshold : n >= threshold;
  }

  function test(question, answer, rule) {
    if (Object.prototype.hasOwnProperty.call(rule, "is")) {
      var wanted = rule.is;
      if (wanted === "na") return !!answer.na;
      if (answer.na || answer.value === null || answer.value === undefined) return false;
      if (wanted === "yes" || wanted === "no") return answer.value === (wanted === "yes");
      var passed = numberPasses(question.config || {}, answer.value);
      return passed !== null && passed === (wanted === "passed");
    }
    if (answer.na || answer.value === null || answer.value === undefined) return false;
    var n = number(answer.value);
    if (n === null) return false;
    if (rule.between) return Number(rule.between[0]) <= n && n <= Number(rule.between[1]);
    if (rule["in"]) {
      return Math.floor(n) === n && rule["in"].map(Number).indexOf(n) >= 0;
    }
    return false;
  }

  function visible(questions, answers) {
    var byLineage = {};
    questions.forEach(function (q) { byLineage[q.lineage] = q; });
    var shown = {};
    var visiting = {};

    function isShown(lineage) {
      if (Object.prototype.hasOwnProperty.call(shown, lineage)) return shown[lineage];
      var question = byLineage[lineage];
      if (!question || visiting[lineage]) return false;
      visiting[lineage] = true;
      var result = !question.show_if || holds(question.show_if);
      delete visiting[lineage];
      shown[lineage] = result;
      return result;
    }

    function holds(rule) {
      if (rule.all) return rule.all.every(holds);
      if (rule.any) return rule.any.some(holds);
      var target = String(rule.question || "");
      if (!byLineage[target] || !isShown(target)) return false;
      var answer = answers[target];
      return !!answer && test(byLineage[target], answer, rule);
    }

    questions.forEach(function (q) { isShown(q.lineage); });
    return shown;
  }

  // The value as the page holds it ("yes", "3", "2,5") in its stored form, by kind.
  function stored(kind, value) {
    if (value === null || value === undefined || value === "") return null;
    if (kind === "yes_no") {
      if (value === true || value === "yes" || value === "true") return true;
      if (value === false || value === "no" || value === "false") return false;
      return null;
    }
    if (kind === "scale" || kind === "choice" || kind === "number") {
      var n = number(value);
      return n === null ? null : n;
    }
    return value;
  }

  var api = { visible: visible, numberPasses: numberPasses, stored: stored };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.TouchstoneConditions = api;
})(this);
