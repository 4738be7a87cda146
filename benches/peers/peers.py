"""SimPy and Ciw on routesim's benchmark models (M/M/c and M/M/c+M).

Usage: peers.py simpy|ciw HOURS REPLICATIONS [PATIENCE_S]
Prints one JSON line: chats simulated, seconds spent simulating, and per
statistic the mean over replications with its 95 % confidence half-width.
The statistics are routesim's (README, Metrics), over chats arriving after
the warm-up: p_wait = share that waited more than 0, mean_wait_s = mean wait
(abandoners' time in queue included), p_abandon = share that hung up queued.
"""
import json
import math
import random
import statistics
import sys
import time

RATE, MEAN_HANDLE, AGENTS, WARMUP = 0.3, 60.0, 20, 3600.0
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def simpy_rep(seed, horizon, patience):
    import simpy

    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    rng = random.Random(seed)
    waits, abandoned = [], [0]

    def chat(env):
        arrived = env.now
        with agents.request() as req:
            if patience is None:
                yield req
            else:
                got = yield req | env.timeout(rng.expovariate(1.0 / patience))
                if req not in got:
                    if arrived >= WARMUP:
                        waits.append(env.now - arrived)
                        abandoned[0] += 1
                    return
            if arrived >= WARMUP:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0 / MEAN_HANDLE))

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(RATE))
            env.process(chat(env))

    env.process(source(env))
    env.run(until=horizon)
    return waits, abandoned[0]


def ciw_rep(seed, horizon, patience):
    import ciw

    ciw.seed(seed)
    kw = {}
    if patience is not None:
        kw["reneging_time_distributions"] = [ciw.dists.Exponential(1.0 / patience)]
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE)],
        service_distributions=[ciw.dists.Exponential(1.0 / MEAN_HANDLE)],
        number_of_servers=[AGENTS],
        **kw,
    )
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(horizon)
    waits, abandoned = [], 0
    for r in sim.get_all_records():
        if r.arrival_date < WARMUP:
            continue
        if r.record_type == "renege":
            abandoned += 1
        waits.append(r.waiting_time)
    return waits, abandoned


def main():
    engine, hours, reps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    patience = float(sys.argv[4]) if len(sys.argv) > 4 else None
    rep = {"simpy": simpy_rep, "ciw": ciw_rep}[engine]
    horizon = WARMUP + hours * 3600.0
    per_rep, chats, spent = [], 0, 0.0
    for k in range(reps):
        t0 = time.perf_counter()
        waits, abandoned = rep(1000 + k, horizon, patience)
        spent += time.perf_counter() - t0
        n = len(waits)
        chats += n
        per_rep.append({
            "p_wait": sum(1 for w in waits if w > 0) / n,
            "mean_wait_s": sum(waits) / n,
            "p_abandon": abandoned / n,
        })
    out = {"engine": engine, "chats": chats, "seconds": spent}
    for m in ("p_wait", "mean_wait_s", "p_abandon"):
        xs = [r[m] for r in per_rep]
        half = T95.get(reps - 1, 1.96) * statistics.stdev(xs) / math.sqrt(reps) if reps > 1 else float("nan")
        out[m] = [statistics.fmean(xs), half]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
