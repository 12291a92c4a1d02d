import { describe, expect, it } from "vitest";
import { centreOf, controlsFor, countdownText, inView, readWorkshop, roleOf, secondsLeft, Throttle, type Timer, zoomFor } from "./workshop";

describe("the timer's text", () => {
  it("shows minutes and seconds, rounding the seconds up", () => {
    expect(countdownText(0)).toBe("00:00");
    expect(countdownText(0.2)).toBe("00:01");
    expect(countdownText(59)).toBe("00:59");
    expect(countdownText(60)).toBe("01:00");
    expect(countdownText(15 * 60)).toBe("15:00");
    expect(countdownText(15 * 60 - 0.5)).toBe("15:00");
    expect(countdownText(9 * 60 + 5)).toBe("09:05");
    expect(countdownText(-3)).toBe("00:00");
  });

  it("shows hours past an hour", () => {
    expect(countdownText(3600)).toBe("1:00:00");
    expect(countdownText(8 * 3600 - 1)).toBe("7:59:59");
  });

  it("counts down to ends_at while running and holds what was left while paused", () => {
    const running: Timer = { label: "Map the flows", seconds: 600, remaining: 600, running: true, ends_at: 1000 };
    expect(secondsLeft(running, 400)).toBe(600);
    expect(secondsLeft(running, 999.5)).toBe(0.5);
    expect(secondsLeft(running, 1200)).toBe(0);
    const paused: Timer = { ...running, running: false, ends_at: null, remaining: 125 };
    expect(secondsLeft(paused, 5000)).toBe(125);
  });
});

describe("the controls of each role", () => {
  const idle = readWorkshop({});
  const busy = readWorkshop({
    timer: { label: "x", seconds: 60, remaining: 60, running: true, ends_at: 10 },
    walk: { number: 1, direction: "forward", step: "p1" },
    locked: true,
    following: true,
  });

  it("gives a participant votes, whys during a walk and 'Stop following', never a facilitator's command", () => {
    expect(controlsFor("participant", idle)).toEqual(["dots", "vote"]);
    const shown = controlsFor("participant", busy);
    expect(shown).toEqual(["dots", "vote", "timer", "why", "stop-following"]);
    for (const command of ["lock", "unlock", "timer-start", "timer-pause", "walk-next", "walk-start", "follow-on", "follow-off"]) {
      expect(shown).not.toContain(command);
    }
  });

  it("gives a facilitator the commands that fit the state", () => {
    expect(controlsFor("facilitator", idle)).toEqual(["dots", "vote", "lock", "follow-on", "timer-start", "walk-start", "walk-reverse"]);
    expect(controlsFor("facilitator", busy)).toEqual([
      "dots",
      "vote",
      "timer",
      "why",
      "unlock",
      "follow-off",
      "send-viewport",
      "timer-pause",
      "timer-stop",
      "walk-back",
      "walk-next",
      "walk-stop",
    ]);
    // The view that leads follow mode is not offered the lead.
    expect(controlsFor("facilitator", busy, true)).not.toContain("send-viewport");
    const paused = readWorkshop({ timer: { label: "x", seconds: 60, remaining: 30, running: false, ends_at: null } });
    expect(controlsFor("facilitator", paused)).toContain("timer-resume");
    expect(controlsFor("facilitator", paused)).not.toContain("timer-pause");
  });

  it("reads a room's role from the model, and a notebook's views as the facilitator's", () => {
    expect(roleOf({})).toBe("facilitator");
    expect(roleOf({ room: { edit: true, role: "facilitator" } })).toBe("facilitator");
    expect(roleOf({ room: { edit: true, role: "participant" } })).toBe("participant");
    // A room that does not say is taken as the participant link (the safer reading).
    expect(roleOf({ room: { edit: true } })).toBe("participant");
  });
});

describe("the throttle of the facilitator's view", () => {
  function clock() {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    return {
      now: () => now,
      later: (fn: () => void, ms: number) => {
        const timer = { at: now + ms, fn };
        timers.push(timer);
        return timer;
      },
      cancel: (timer: unknown) => {
        const i = timers.indexOf(timer as { at: number; fn: () => void });
        if (i >= 0) timers.splice(i, 1);
      },
      advance(ms: number) {
        const end = now + ms;
        for (;;) {
          timers.sort((a, b) => a.at - b.at);
          const next = timers[0];
          if (!next || next.at > end) break;
          timers.shift();
          now = next.at;
          next.fn();
        }
        now = end;
      },
    };
  }

  it("sends at most one view per interval, the first at once and the last of a run at its end", () => {
    const c = clock();
    const sent: [number, number][] = [];
    const throttle = new Throttle((x: number) => sent.push([c.now(), x]), 100, c.now, c.later, c.cancel);
    // A pan of one second, a move every 10 ms (101 moves).
    for (let i = 0; i <= 100; i++) {
      throttle.call(i);
      c.advance(10);
    }
    c.advance(200);
    const times = sent.map(([t]) => t);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(100);
    // Calls from 0 to 1,000 ms; the last send is at most one interval after the last call
    // (1,100 ms): one at 0, then one per 100 ms at most, 12 in all, against 101 calls.
    expect(times.at(-1)).toBeLessThanOrEqual(1100);
    expect(sent.length).toBeLessThanOrEqual(12);
    expect(sent[0]).toEqual([0, 0]);
    // The pan's end is sent: the view the others show is where the pan stopped.
    expect(sent.at(-1)?.[1]).toBe(100);
  });

  it("sends a lone call at once, and nothing after stop", () => {
    const c = clock();
    const sent: number[] = [];
    const throttle = new Throttle((x: number) => sent.push(x), 100, c.now, c.later, c.cancel);
    throttle.call(1);
    expect(sent).toEqual([1]);
    throttle.call(2);
    throttle.stop();
    c.advance(500);
    expect(sent).toEqual([1]);
  });
});

describe("following a view", () => {
  it("puts the facilitator's centre at the centre of a follower's stage, whatever its size", () => {
    const zoom = { k: 0.8, tx: -120, ty: 40 };
    const centre = centreOf(zoom, { w: 1000, h: 600 });
    // By hand: x = (500 + 120) / 0.8, y = (300 - 40) / 0.8.
    expect(centre).toEqual({ x: 775, y: 325, zoom: 0.8 });
    expect(zoomFor(centre, { w: 1000, h: 600 })).toEqual(zoom);
    // A smaller stage: the same map point in its middle.
    const other = zoomFor(centre, { w: 400, h: 300 });
    expect(other.k).toBe(0.8);
    expect(other.tx + 775 * 0.8).toBeCloseTo(200);
    expect(other.ty + 325 * 0.8).toBeCloseTo(150);
  });
});

describe("the workshop trait", () => {
  it("reads a malformed value as an empty workshop", () => {
    const empty = readWorkshop("nonsense");
    expect(empty).toMatchObject({ dots: 3, votes: {}, whys: [], walk: null, timer: null, locked: false, viewport: null });
    expect(readWorkshop({ whys: [{ step: 1 }], viewport: { x: "a", y: 0, zoom: 1 } })).toMatchObject({ whys: [], viewport: null });
  });

  it("takes the steps a timer is offered for from Python's trait", () => {
    expect(readWorkshop({}).steps).toEqual([]);
    expect(readWorkshop({ steps: ["Map the flows", 3, null, "Review the map"] }).steps).toEqual(["Map the flows", "Review the map"]);
  });
});

describe("a vote badge", () => {
  const stage = { w: 800, h: 500 };
  it("shows for a burst in view, or in part in view", () => {
    expect(inView({ x: 100, y: 100 }, { x: 180, y: 150 }, stage)).toBe(true);
    expect(inView({ x: -40, y: 100 }, { x: 30, y: 150 }, stage)).toBe(true);
    expect(inView({ x: 760, y: 460 }, { x: 840, y: 520 }, stage)).toBe(true);
  });

  it("hides for a burst out of view on any side", () => {
    expect(inView({ x: -200, y: 100 }, { x: -120, y: 150 }, stage)).toBe(false);
    expect(inView({ x: 900, y: 100 }, { x: 980, y: 150 }, stage)).toBe(false);
    expect(inView({ x: 100, y: -90 }, { x: 180, y: -10 }, stage)).toBe(false);
    expect(inView({ x: 100, y: 520 }, { x: 180, y: 570 }, stage)).toBe(false);
  });
});
