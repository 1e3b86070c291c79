/**
 * A model of how CloudWatch evaluates a metric-math alarm, for tests that ask "when does it page?":
 * each period (a minute, or the alarm's period), the alarm fetches its evaluation periods of every
 * metric query, computes the expression (FILL, DIFF, numbers, + - * / and parentheses, as
 * CloudWatch documents them; a division by zero gives no value), and compares the
 * newest `datapointsToAlarm` values with the threshold; missing data is not breaching. It is our
 * reading of the documentation, not CloudWatch: moto does not evaluate alarms.
 */

/** One value per minute; undefined where the metric sent nothing. */
export type MinuteSeries = readonly (number | undefined)[];

export interface MetricMathAlarm {
  readonly metric_query: readonly { id: string; expression?: string; return_data?: boolean; metric?: { metric_name: string } }[];
  readonly threshold: number;
  readonly evaluation_periods: number;
  readonly datapoints_to_alarm?: number;
  readonly comparison_operator: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold";
}

type Series = (number | undefined)[];

function evaluate(expression: string, metrics: Record<string, Series>): Series {
  let position = 0;
  const text = expression.replace(/\s+/g, "");
  const length = Math.max(0, ...Object.values(metrics).map((series) => series.length));
  const combine = (left: Series, right: Series, operate: (a: number, b: number) => number | undefined): Series =>
    left.map((value, index) => (value === undefined || right[index] === undefined ? undefined : operate(value, right[index]!)));
  const term = (): Series => {
    const number = /^\d+(\.\d+)?/.exec(text.slice(position))?.[0];
    if (number) {
      position += number.length;
      return Array.from({ length }, () => Number(number));
    }
    if (text[position] === "(") {
      position += 1;
      const inner = sum();
      position += 1; // ")"
      return inner;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(position))?.[0];
    if (!name) throw new Error(`alarm model: unexpected ${text.slice(position)}`);
    position += name.length;
    if (text[position] !== "(") {
      if (!(name in metrics)) throw new Error(`alarm model: no metric ${name}`);
      return metrics[name];
    }
    position += 1;
    const argument = sum();
    if (name === "FILL") {
      position += 1; // ","
      const fill = Number(/^-?\d+(\.\d+)?/.exec(text.slice(position))![0]);
      position += String(fill).length + 1; // value and ")"
      return argument.map((value) => value ?? fill);
    }
    position += 1; // ")"
    if (name === "DIFF")
      return argument.map((value, index) =>
        index === 0 || value === undefined || argument[index - 1] === undefined ? undefined : value - argument[index - 1]!,
      );
    throw new Error(`alarm model: no function ${name}`);
  };
  const product = (): Series => {
    let left = term();
    while (text[position] === "*" || text[position] === "/") {
      const divide = text[position] === "/";
      position += 1;
      left = combine(left, term(), (a, b) => (divide ? (b === 0 ? undefined : a / b) : a * b));
    }
    return left;
  };
  const sum = (): Series => {
    let left = product();
    while (text[position] === "+" || text[position] === "-") {
      const sign = text[position] === "+" ? 1 : -1;
      position += 1;
      left = combine(left, product(), (a, b) => a + sign * b);
    }
    return left;
  };
  return sum();
}

/** The alarm's state at the end of each minute, given each metric's minutes (by metric name). */
export function alarmStates(alarm: MetricMathAlarm, series: Readonly<Record<string, MinuteSeries>>): ("ALARM" | "OK")[] {
  const minutes = Math.max(...Object.values(series).map((values) => values.length));
  const returned = alarm.metric_query.find((query) => query.return_data)!;
  const states: ("ALARM" | "OK")[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    const from = Math.max(0, minute - alarm.evaluation_periods + 1);
    const window: Record<string, Series> = {};
    for (const query of alarm.metric_query) {
      // A minute a metric sent nothing for is a gap in its series, which FILL fills.
      if (query.metric) window[query.id] = Array.from({ length: minute - from + 1 }, (_, index) => series[query.metric!.metric_name]?.[from + index]);
    }
    const values = evaluate(returned.expression!, window).slice(-(alarm.datapoints_to_alarm ?? alarm.evaluation_periods));
    const breaches = (value: number) =>
      alarm.comparison_operator === "GreaterThanOrEqualToThreshold" ? value >= alarm.threshold : value > alarm.threshold;
    const breaching = values.filter((value) => value !== undefined && breaches(value)).length;
    states.push(breaching >= (alarm.datapoints_to_alarm ?? alarm.evaluation_periods) ? "ALARM" : "OK");
  }
  return states;
}

/** The minutes at which the alarm pages: each move from OK to ALARM. */
export function pages(states: readonly ("ALARM" | "OK")[]): number[] {
  return states.flatMap((state, minute) => (state === "ALARM" && (minute === 0 || states[minute - 1] === "OK") ? [minute] : []));
}
