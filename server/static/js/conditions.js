/* Skip logic on the phone: evaluates the condition trees the server sends
 * (survey_schemas.condition_tree), never the source text, so the condition language is parsed
 * in one place only. The meaning follows survey_schemas.conditions.evaluate exactly (a parity
 * test runs both over generated answers): a comparison with an unanswered question is false,
 * "!=" included; on a multiple-choice answer "=" means "this choice is ticked". */
(function (root) {
  "use strict";

  function isEmpty(value) {
    return value === null || value === undefined || value === "" ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
  }

  function compare(answer, op, value) {
    if (Array.isArray(answer)) {
      if (op === "=") return answer.includes(value);
      if (op === "!=") return !answer.includes(value);
      return false;
    }
    if ((typeof value === "string") !== (typeof answer === "string")) return false;
    switch (op) {
      case "=": return answer === value;
      case "!=": return answer !== value;
      case "<": return answer < value;
      case "<=": return answer <= value;
      case ">": return answer > value;
      case ">=": return answer >= value;
      default: throw new Error("opérateur inconnu : " + op);
    }
  }

  function evaluate(node, answers) {
    const answer = node.question === undefined ? undefined : answers[node.question];
    switch (node.op) {
      case "answered":
        return answer !== undefined && answer !== null;
      case "compare":
        return answer !== undefined && answer !== null && compare(answer, node.cmp, node.value);
      case "in":
        if (answer === undefined || answer === null) return false;
        if (Array.isArray(answer)) return node.values.some((v) => answer.includes(v));
        return node.values.includes(answer);
      case "not":
        return !evaluate(node.operand, answers);
      case "and":
        return node.operands.every((operand) => evaluate(operand, answers));
      case "or":
        return node.operands.some((operand) => evaluate(operand, answers));
      default:
        throw new Error("condition inconnue : " + node.op);
    }
  }

  /* The ids of the questions shown, in order: a condition reads earlier answers only, and the
   * answer of a hidden question counts as none (survey_schemas.visible_question_ids). */
  function visibleQuestionIds(questions, answers) {
    const shown = {};
    const visible = [];
    for (const question of questions) {
      if (question.visible_when && !evaluate(question.visible_when, shown)) continue;
      visible.push(question.id);
      const value = answers[question.id];
      if (!isEmpty(value)) shown[question.id] = value;
    }
    return visible;
  }

  root.BarometreConditions = { evaluate, visibleQuestionIds, isEmpty };
})(typeof window !== "undefined" ? window : globalThis);
