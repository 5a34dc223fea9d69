"""Duplicate search at submission over 5,000 open feedback items on a SQLite file.

The items are written from parts (60 products and places, 60 problems in several wordings, a context,
an expectation), so words repeat across them as real reports' do. Measured: reading the dictionary
(once per process), analysing every open item (the start-up warm-up), then `similar_open`, the call
a submission makes, for 30 new reports: with the items analysed (after the warm-up, the usual case)
and once with nothing analysed (a submission that arrives before the warm-up has finished).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bot.db import schema
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from handlers.feedback import segmenter, similar
from handlers.feedback.config import FeedbackSection
from handlers.feedback.tables import items

ITEMS = int(os.environ.get("KOCBOT_BENCH_FEEDBACK", "5000"))
QUERIES = 30
SEED = 20261201
THINGS = [
    *("蓝牙耳机", "智能手表", "手环", "扫地机器人", "充电宝", "路由器", "平板", "智能音箱", "洗衣机", "冰箱"),
    *("空调", "电视", "吹风机", "体重秤", "门锁", "打印机", "相机", "游戏手柄", "阅读器", "投影仪"),
    *("商城首页", "下单页", "购物车", "支付页", "订单列表", "退款页面", "物流详情", "优惠券", "积分商城", "会员中心"),
    *("小程序", "直播间", "评论区", "消息中心", "个人主页", "搜索结果", "商品详情页", "客服聊天", "设置页", "登录页"),
    *("App 首页", "视频播放", "相册", "通讯录", "日历", "闹钟", "地图", "天气", "钱包", "健康数据"),
    *("夜间模式", "字体设置", "通知设置", "隐私设置", "账号安全", "地址管理", "发票", "售后申请", "评价晒单", "收藏夹"),
]
PROBLEMS = [
    *("闪退", "崩溃", "直接退出", "白屏", "加载不出来", "卡顿", "很卡", "黑屏", "没反应", "点不动"),
    *("连不上", "配对失败", "搜不到", "断开", "掉线", "发烫", "温度很高", "耗电快", "续航差", "充不进电"),
    *("没声音", "有杂音", "模糊", "看不清", "太亮", "收不到通知", "没收到验证码", "不更新", "显示错误", "报错"),
    *("提示失败", "用不了", "保存不了", "改不了", "取消不了", "登录不了", "数据不准", "同步失败", "丢失", "不见了"),
    *("价格不对", "库存不足", "没发货", "没到账", "扣费异常", "打不通", "占线", "很慢", "太慢", "延迟很大"),
    *("进水", "破损", "发错货", "有异味", "噪音大", "不制冷", "不加热", "识别失败", "自动关机", "重启"),
]
CONTEXTS = ["", "一直", "经常", "每次", "更新以后", "用了两天", "晚上", "充电的时候", "打开就", "偶尔"]
WISHES = ["希望尽快修复", "希望能正常使用", "希望优化一下", "能不能改进", "期望正常", "希望加个提醒", ""]


def _report(rnd: random.Random) -> tuple[str, str]:
    thing, problem = rnd.choice(THINGS), rnd.choice(PROBLEMS)
    return f"{thing}{rnd.choice(CONTEXTS)}{problem}", rnd.choice(WISHES) or "希望修复"


async def _fill(engine, rnd: random.Random) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        member = {"platform_id": "wxid_1", "display_name": "m", "role": "member", "stage": "member", "created_at": now}
        await conn.execute(insert(schema.members), [member])
        common = {"kind": "bug", "status": "submitted", "steps": "打开 App，点击", "product": "", "reporter_id": 1}
        rows = []
        for _ in range(ITEMS):
            scenario, expected = _report(rnd)
            times = {"created_at": now, "updated_at": now}
            rows.append({**common, **times, "title": scenario[:40], "scenario": scenario, "expected": expected})
        await conn.execute(insert(items), rows)


async def _lookups(engine, queries: list[str], section: FeedbackSection) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each lookup; the CPU time (every thread of this process) does
    not grow when other processes share the machine."""
    wall, cpu = [], []
    async with engine.connect() as conn:
        for text in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            await similar.similar_open(conn, text, section.duplicate_threshold, section.duplicates_shown)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


async def main() -> None:
    rnd, section = random.Random(SEED), FeedbackSection()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'duplicates.db'}")
        try:
            await upgrade(engine)
            await _fill(engine, rnd)
            started = time.perf_counter()
            await asyncio.to_thread(segmenter.load)
            print(f"duplicates: dictionary read in {time.perf_counter() - started:.2f} s (once per process)")
            queries = [similar.report_text(*_report(rnd)) for _ in range(QUERIES)]
            cold, _ = await _lookups(engine, queries[:1], section)
            similar._kept.clear()
            started = time.perf_counter()
            await similar.analyse_open_items(engine)
            print(f"duplicates: {ITEMS:,} open items analysed at start-up in {time.perf_counter() - started:.2f} s")
            warm, cpu = await _lookups(engine, queries, section)
            print(
                f"duplicates: lookup at submission over {ITEMS:,} open items ({QUERIES} reports): best "
                f"{min(warm):.0f} ms, median {statistics.median(warm):.0f} ms, worst {max(warm):.0f} ms "
                f"(CPU median {statistics.median(cpu):.0f} ms); before the warm-up {cold[0]:.0f} ms"
            )
        finally:
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
