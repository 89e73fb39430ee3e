#!/usr/bin/env python3
"""Benchmark data for `leaksweep access`: several organisations' WeCom exports.

    python3 benches/gen_access.py OUT_DIR [--members 200000] [--orgs 5] [--logs 1000000]
                                  [--messages 200000] [--switches 300] [--seed 1]
                                  [--manifest FILE]

Writes, for each organisation 机构1..机构N:
  OUT_DIR/<org>/members.csv            console member export (UTF-8 BOM, CRLF), header
                                       姓名,帐号,别名,职务,部门,性别,手机,座机,个人邮箱,企业邮箱,地址,激活状态,禁用状态
  OUT_DIR/<org>/member_oper_log.jsonl  security/member_oper_log records, one per line, time in unix SECONDS
  OUT_DIR/<org>/archive.jsonl          session archive: text messages (msgtime in unix MILLISECONDS)
                                       and switch records (time in ms)
Members are split evenly; log records and messages are split evenly and
written in time order (2025-03-01 .. 2025-03-31 UTC).

Planted incidents (counts scale down for small --members):
  shared mobiles across organisations (a few hundred) and within one organisation,
  phone change / WeChat re-bind followed by a new-device login within 24 h,
  one IP used by two organisations within 10 minutes, one IP used by 7 accounts,
  disabled members who log in, switch bursts (4 in 40 min), a switch followed
  by a message from the linked account in another organisation, unknown senders.
Noise IPs are 10.x.y.z, one per member; planted IPs come from 198.51.100.0/24
and 203.0.113.0/24 only. --manifest FILE writes the planted incidents as JSON
(keep it outside OUT_DIR).

Standard library only, deterministic for a given seed, streams its output
(only the member table is held in memory).
"""

import argparse
import base64
import json
import os
import random
import sys
import time

START = 1740787200            # 2025-03-01T00:00:00Z
END = 1743379200              # 2025-03-31T00:00:00Z
HOUR = 3600
DAY = 86400

HEADER = "姓名,帐号,别名,职务,部门,性别,手机,座机,个人邮箱,企业邮箱,地址,激活状态,禁用状态"

SURNAMES = [("张", "Zhang"), ("王", "Wang"), ("李", "Li"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
            ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
            ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"),
            ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
            ("唐", "Tang"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"), ("彭", "Peng")]
GIVEN = [("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
         ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
         ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀英", "Xiuying"),
         ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂英", "Guiying"), ("华", "Hua"), ("建华", "Jianhua"),
         ("文", "Wen"), ("辉", "Hui"), ("玲", "Ling"), ("红", "Hong"), ("鹏", "Peng"), ("宇轩", "Yuxuan")]
DEPTS = ["综合办公室", "研发部", "产品部", "市场部", "财务部", "人力资源部", "运维部", "客服中心"]
POSITIONS = ["", "专员", "工程师", "经理", "主管", "助理"]
PREFIXES = ([str(p) for p in range(130, 140)] + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
            + ["171", "172", "173", "175", "176", "177", "178"] + [str(p) for p in range(180, 190)]
            + ["190", "191", "192", "193", "195", "196", "197", "198", "199"])
MUL = 54_435_761              # coprime with 10**8: (i * MUL + ADD) % 10**8 is a bijection
ADD = 48_271_093
TEXTS = ["好的，收到", "明天上午十点开会", "文件已经放到共享盘了", "请查收附件", "这个需求下周评审",
         "稍等，我看一下", "收到，马上处理", "周报今天下班前交", "这个问题已经修复了", "辛苦了",
         "新版本已经上线", "客户那边反馈不错", "可以，按这个方案来", "请把会议室订到三楼"]
TEXTS_JSON = [json.dumps(t, ensure_ascii=False) for t in TEXTS]
DETAIL = {2: "加入企业", 4: "新设备登录 Windows", 5: "修改手机号", 6: "绑定微信", 7: "重新绑定微信",
          13: "副设备登录 iPad"}
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def noise_ip(i):
    return f"10.{i // 64516 + 1}.{(i // 254) % 254 + 1}.{i % 254 + 1}"


def log_line(t, uid, ot, ip):
    return f'{{"time":{t},"userid":"{uid}","oper_type":{ot},"detail_info":"{DETAIL[ot]}","ip":"{ip}"}}\n'


def main():
    ap = argparse.ArgumentParser(description="benchmark data for leaksweep access")
    ap.add_argument("out_dir")
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--orgs", type=int, default=5)
    ap.add_argument("--logs", type=int, default=1_000_000)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--switches", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--manifest", help="write the planted incidents to this JSON file")
    a = ap.parse_args()
    if a.orgs < 2 or a.members < a.orgs * 20:
        sys.exit("need --orgs >= 2 and at least 20 members per organisation")
    t_start = time.time()
    rng = random.Random(a.seed)
    rnd = rng.random
    orgs = [f"机构{k + 1}" for k in range(a.orgs)]

    # ---- member table -----------------------------------------------------
    n = a.members
    org_of = [k * a.orgs // n for k in range(n)]                  # contiguous, even split
    first = [org_of.index(o) for o in range(a.orgs)] + [n]
    uids, names, mobiles, status = [], [], [], bytearray(n)       # status 0 ok, 1 未激活, 2 已禁用
    for i in range(n):
        s, sp = SURNAMES[rng.randrange(len(SURNAMES))]
        g, gp = GIVEN[rng.randrange(len(GIVEN))]
        names.append(s + g)
        uids.append(f"{sp}{gp}{i}")
        mobiles.append(PREFIXES[i % len(PREFIXES)] + f"{(i * MUL + ADD) % 100_000_000:08d}")
        x = rnd()
        status[i] = 1 if x < 0.03 else 2 if x < 0.04 else 0
    per_org = [list(range(first[o], first[o + 1])) for o in range(a.orgs)]
    act = [[i for i in r if status[i] == 0] for r in per_org]
    disabled = [[i for i in r if status[i] == 2] for r in per_org]
    used = set()                                                  # members taken by an incident

    def pick(o, pool=None):
        pool = pool if pool is not None else act[o]
        while True:
            i = pool[rng.randrange(len(pool))]
            if i not in used:
                used.add(i)
                return i

    scale = min(1.0, n / 200_000)
    k_share = max(5, int(300 * scale))
    k_share_in = max(2, int(20 * scale))
    k_rebind = max(3, int(50 * scale))
    k_ipx = max(3, int(20 * scale))
    k_ipmany = max(1, int(5 * scale))
    k_dis = max(1, int(10 * scale))
    k_burst = max(2, int(10 * scale))
    k_follow = max(2, int(10 * scale))
    k_ghost = max(2, int(10 * scale))
    man = {k: [] for k in ("shared_mobile_cross_org", "shared_mobile_same_org", "rebind_then_login",
                           "shared_ip_cross_org", "shared_ip_many_accounts", "disabled_login",
                           "switch_burst", "switch_then_linked_message", "unknown_sender")}
    plant_logs = [[] for _ in orgs]                               # (time, line)
    plant_arch = [[] for _ in orgs]                               # (ms, kind, payload)

    def rand_t(margin=DAY):
        return START + margin + rng.randrange(END - START - 2 * margin)

    pairs = []
    for _ in range(k_share):
        o1, o2 = rng.sample(range(a.orgs), 2)
        x, y = pick(o1), pick(o2)
        mobiles[y] = mobiles[x]
        pairs.append((o1, x, o2, y))
        man["shared_mobile_cross_org"].append({"orgs": [orgs[o1], orgs[o2]], "userids": [uids[x], uids[y]]})
    for _ in range(k_share_in):
        o = rng.randrange(a.orgs)
        x, y = pick(o), pick(o)
        mobiles[y] = mobiles[x]
        man["shared_mobile_same_org"].append({"orgs": [orgs[o]], "userids": [uids[x], uids[y]]})
    for _ in range(k_rebind):
        o = rng.randrange(a.orgs)
        x = pick(o)
        t = rand_t()
        t2 = t + rng.randrange(600, 20 * HOUR)
        ot = rng.choice([5, 6, 7])
        plant_logs[o].append((t, log_line(t, uids[x], ot, noise_ip(x))))
        plant_logs[o].append((t2, log_line(t2, uids[x], 4, noise_ip(x))))
        man["rebind_then_login"].append({"org": orgs[o], "userid": uids[x], "oper_type": ot, "time": t,
                                         "login_time": t2})
    for j in range(k_ipx):
        o1, o2 = rng.sample(range(a.orgs), 2)
        x, y = pick(o1), pick(o2)
        ip = f"198.51.100.{j % 254 + 1}" if j < 254 else f"203.0.113.{j % 254 + 1}"
        t = rand_t()
        t2 = t + rng.randrange(30, 540)
        plant_logs[o1].append((t, log_line(t, uids[x], 4, ip)))
        plant_logs[o2].append((t2, log_line(t2, uids[y], 13, ip)))
        man["shared_ip_cross_org"].append({"ip": ip, "orgs": [orgs[o1], orgs[o2]], "userids": [uids[x], uids[y]],
                                           "times": [t, t2]})
    for j in range(k_ipmany):
        o = rng.randrange(a.orgs)
        ip = f"203.0.113.{200 + j % 54}"
        t = rand_t()
        ids = []
        for k in range(7):
            x = pick(o)
            tk = t + k * 65 + rng.randrange(20)
            plant_logs[o].append((tk, log_line(tk, uids[x], 4, ip)))
            ids.append(uids[x])
        man["shared_ip_many_accounts"].append({"ip": ip, "org": orgs[o], "userids": ids, "time": t})
    for _ in range(k_dis):
        o = rng.randrange(a.orgs)
        if not disabled[o]:
            continue
        x = pick(o, disabled[o])
        t = rand_t()
        plant_logs[o].append((t, log_line(t, uids[x], 4, noise_ip(x))))
        man["disabled_login"].append({"org": orgs[o], "userid": uids[x], "time": t})
    for _ in range(k_burst):
        o = rng.randrange(a.orgs)
        x = pick(o)
        t = rand_t() * 1000
        times = [t + k * 600_000 + rng.randrange(60_000) for k in range(4)]
        for tk in times:
            plant_arch[o].append((tk, 1, x))
        man["switch_burst"].append({"org": orgs[o], "user": uids[x], "time_ms": times})
    for o1, x, o2, y in pairs[:k_follow]:
        t = rand_t() * 1000
        t2 = t + rng.randrange(30_000, 240_000)
        plant_arch[o1].append((t, 1, x))
        plant_arch[o2].append((t2, 0, (y, act[o2][0])))
        man["switch_then_linked_message"].append({"switch": {"org": orgs[o1], "user": uids[x], "time_ms": t},
                                                  "message": {"org": orgs[o2], "from": uids[y], "msgtime": t2}})
    for j in range(k_ghost):
        o = rng.randrange(a.orgs)
        t = rand_t() * 1000
        ghost = f"GhostUser{j + 1:02d}"
        plant_arch[o].append((t, 2, (ghost, act[o][1])))
        man["unknown_sender"].append({"org": orgs[o], "from": ghost, "msgtime": t})
    # ordinary switch records: random members not in any incident, one each
    for _ in range(a.switches):
        o = rng.randrange(a.orgs)
        x = pick(o)
        plant_arch[o].append((rand_t(0) * 1000 + rng.randrange(1000), 1, x))

    # ---- write --------------------------------------------------------------
    n_logs = n_msgs = n_sw = 0
    for o, org in enumerate(orgs):
        d = os.path.join(a.out_dir, org)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "members.csv"), "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
            f.write("\ufeff" + HEADER + "\r\n")
            buf = []
            for i in per_org[o]:
                u = uids[i]
                st = status[i]
                mail = f"{u.lower()}@example.org" if i % 3 == 0 else ""
                buf.append(f"{names[i]},{u},,{POSITIONS[i % len(POSITIONS)]},{DEPTS[i % len(DEPTS)]},"
                           f"{'男' if i & 1 else '女'},{mobiles[i]},,{mail},{u.lower()}@example.com,,"
                           f"{'未激活' if st == 1 else '已激活'},{'已禁用' if st == 2 else '正常'}\r\n")
                if len(buf) >= 4096:
                    f.write("".join(buf))
                    buf.clear()
            f.write("".join(buf))

        # oper log: noise in time order, planted records merged in
        count = a.logs // a.orgs + (1 if o < a.logs % a.orgs else 0)
        noise = count - len(plant_logs[o])
        planted = sorted(plant_logs[o])
        pi = 0
        users = act[o]
        nu = len(users)
        step = 2.0 * (END - START) / max(1, noise)
        t = float(START)
        with open(os.path.join(d, "member_oper_log.jsonl"), "w", encoding="utf-8", buffering=1 << 20) as f:
            buf = []
            for _ in range(noise):
                t += rnd() * step
                ti = int(t)
                while pi < len(planted) and planted[pi][0] <= ti:
                    buf.append(planted[pi][1])
                    pi += 1
                i = users[int(rnd() * nu)]
                x = rnd()
                ot = 4 if x < 0.8 else 13 if x < 0.98 else 2
                buf.append(f'{{"time":{ti},"userid":"{uids[i]}","oper_type":{ot},'
                           f'"detail_info":"{DETAIL[ot]}","ip":"{noise_ip(i)}"}}\n')
                if len(buf) >= 8192:
                    f.write("".join(buf))
                    buf.clear()
            buf.extend(line for _, line in planted[pi:])
            f.write("".join(buf))
        n_logs += noise + len(planted)

        # archive
        m_count = a.messages // a.orgs + (1 if o < a.messages % a.orgs else 0)
        extern = ["wm" + "".join(rng.choice(ALNUM) for _ in range(30)) for _ in range(500)] + \
                 ["wo" + "".join(rng.choice(ALNUM) for _ in range(30)) for _ in range(100)]
        planted = sorted(plant_arch[o], key=lambda e: (e[0], e[1]))
        n_plant_msgs = sum(1 for e in planted if e[1] != 1)
        noise = max(0, m_count - n_plant_msgs)
        pi = 0
        step = 2.0 * (END - START) * 1000 / max(1, noise)
        t = float(START) * 1000
        getbits = rng.getrandbits
        b64 = base64.b64encode
        nt = len(TEXTS_JSON)

        def emit_planted(e):
            ms, kind, p = e
            mid = "CAQQ" + b64(getbits(160).to_bytes(20, "little")).decode()
            if kind == 1:
                return f'{{"msgid":"{mid}","action":"switch","time":{ms},"user":"{uids[p]}"}}\n', 1
            sender = uids[p[0]] if kind == 0 else p[0]
            return (f'{{"msgid":"{mid}","action":"send","from":"{sender}","tolist":["{uids[p[1]]}"],'
                    f'"roomid":"","msgtime":{ms},"msgtype":"text","text":{{"content":{TEXTS_JSON[0]}}}}}\n'), 0

        with open(os.path.join(d, "archive.jsonl"), "w", encoding="utf-8", buffering=1 << 20) as f:
            buf = []
            for _ in range(noise):
                t += rnd() * step
                ms = int(t)
                while pi < len(planted) and planted[pi][0] <= ms:
                    line, sw = emit_planted(planted[pi])
                    buf.append(line)
                    n_sw += sw
                    n_msgs += 1 - sw
                    pi += 1
                x = rnd()
                if x < 0.08:
                    frm, to = extern[int(rnd() * 600)], uids[users[int(rnd() * nu)]]
                elif x < 0.18:
                    frm, to = uids[users[int(rnd() * nu)]], extern[int(rnd() * 600)]
                else:
                    frm, to = uids[users[int(rnd() * nu)]], uids[users[int(rnd() * nu)]]
                mid = "CAQQ" + b64(getbits(160).to_bytes(20, "little")).decode()
                buf.append(f'{{"msgid":"{mid}","action":"send","from":"{frm}","tolist":["{to}"],"roomid":"",'
                           f'"msgtime":{ms},"msgtype":"text","text":{{"content":{TEXTS_JSON[int(rnd() * nt)]}}}}}\n')
                if len(buf) >= 8192:
                    f.write("".join(buf))
                    buf.clear()
            for e in planted[pi:]:
                line, sw = emit_planted(e)
                buf.append(line)
                n_sw += sw
                n_msgs += 1 - sw
            f.write("".join(buf))
        n_msgs += noise

    if a.manifest:
        with open(a.manifest, "w", encoding="utf-8") as f:
            json.dump({"orgs": orgs, "members": n, "log_records": n_logs, "messages": n_msgs,
                       "switch_records": n_sw, "planted": man}, f, ensure_ascii=False, indent=1)
    counts = ", ".join(f"{len(v)} {k}" for k, v in man.items())
    print(f"gen_access: wrote {a.orgs} orgs to {a.out_dir}: {n} members, {n_logs} log records, {n_msgs} messages, "
          f"{n_sw} switch records; planted {counts}; {time.time() - t_start:.1f}s")


if __name__ == "__main__":
    main()
