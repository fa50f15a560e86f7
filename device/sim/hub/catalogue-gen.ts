// A realistic synthetic catalogue of a treatment place, for tests, benchmarks
// and the reference hub (it ships in the simulation bundle, never the firmware).
// Codes follow the national formats: western drugs are 23 characters
// (`X` + an ATC-like class + dosage form + serial, e.g.
// `XN01BBA064B002010178765`), Chinese patent medicines start with `Z`,
// service items are 15 digits, medical consumables are `C` + 19 digits. The
// class mix, first self-pay ratios, price ceilings and restrictions follow
// the shape of a real hospital catalogue; names repeat across manufacturers
// and packs, as they do in a real one. Same count and seed, same catalogue.
import { diseases, type Disease, type ItemKind, type ItemLevel } from '../../../src/core/types';
import type { CatalogueRecord } from '../../../src/catalogue/layout';
import { seededRandom, type Random } from '../prng';

const westernNames = [
  '阿莫西林胶囊', '头孢克洛分散片', '头孢呋辛酯片', '左氧氟沙星片', '阿奇霉素片', '二甲双胍缓释片', '格列美脲片', '阿卡波糖片',
  '甘精胰岛素注射液', '苯磺酸氨氯地平片', '硝苯地平控释片', '厄贝沙坦片', '缬沙坦胶囊', '美托洛尔缓释片', '阿托伐他汀钙片', '瑞舒伐他汀钙片',
  '阿司匹林肠溶片', '氯吡格雷片', '华法林钠片', '奥美拉唑肠溶胶囊', '雷贝拉唑钠肠溶片', '多潘立酮片', '布洛芬缓释胶囊', '对乙酰氨基酚片',
  '氨溴索口服溶液', '孟鲁司特钠片', '沙丁胺醇气雾剂', '他克莫司胶囊', '吗替麦考酚酯胶囊', '环孢素软胶囊', '顺铂注射液', '紫杉醇注射液',
  '奥沙利铂注射液', '卡培他滨片', '促红细胞生成素注射液', '蔗糖铁注射液', '左甲状腺素钠片', '坦索罗辛缓释胶囊', '地塞米松磷酸钠注射液', '葡萄糖注射液',
  '氯化钠注射液', '维生素B12注射液', '叶酸片', '碳酸钙D3片', '雌二醇片', '黄体酮胶囊', '非那雄胺片', '小儿氨酚黄那敏颗粒',
];
const tcmNames = ['复方丹参滴丸', '连花清瘟胶囊', '银杏叶片', '血塞通软胶囊', '六味地黄丸', '藿香正气水', '板蓝根颗粒', '通心络胶囊', '脑心通胶囊', '金水宝胶囊', '百令胶囊', '肾康注射液'];
const serviceNames = [
  '一般诊疗费', '门诊诊查费', '住院诊查费', '床位费', '重症监护', '静脉输液', '肌肉注射', '血常规检查', '尿常规检查', '肝功能测定', '肾功能测定',
  '糖化血红蛋白测定', '血脂四项', '心电图检查', '动态血压监测', '颈动脉彩色多普勒超声', 'CT平扫', 'CT增强扫描', '磁共振平扫', '血液透析',
  '腹膜透析', '颈动脉内膜剥脱术', '冠状动脉造影术', '经皮冠状动脉支架置入术', '全身麻醉', '静脉化疗', '放射治疗计划设计', '康复训练', '针刺', '中医辨证论治',
];
const consumableNames = ['一次性使用输液器', '一次性使用注射器', '中心静脉导管', '留置针', '医用缝合线', '冠状动脉药物洗脱支架', '颈动脉支架', '血液透析器', '透析管路', '人工晶体', '骨科内固定钢板', '止血材料', '导丝', '球囊扩张导管'];
const drugUnits = ['片', '粒', '支', '袋', '瓶', '盒', 'ml'];
const serviceUnits = ['次', '项', '日', '小时', '部位'];
const consumableUnits = ['个', '根', '套', '只', '条'];
const specs = ['', '(0.25g)', '(0.5g)', '(10mg)', '(20mg)', '(100ml)', '(250ml)', '(甲)', '(乙)'];
const atcClasses = ['A10BA', 'A10BB', 'A02BC', 'B01AC', 'B03XA', 'C03CA', 'C07AB', 'C08CA', 'C09CA', 'C10AA', 'J01CA', 'J01DC', 'J01MA', 'L01XA', 'L04AD', 'M01AE', 'N02BE', 'N01BB', 'R03AC', 'R06AX'];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.below(items.length)] as T;
}

function chance(random: Random, percent: number): boolean {
  return random.below(100) < percent;
}

function digits(random: Random, count: number): string {
  let text = '';
  for (let index = 0; index < count; index += 1) text += String(random.below(10));
  return text;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** A national-format code for item number `serial` (serial keeps codes unique). */
function codeFor(random: Random, kind: 'western' | 'tcm' | 'service' | 'consumable', serial: number): string {
  switch (kind) {
    case 'western':
      // X + class (5) + form letter + 3 digits + packing letter + 3 digits + manufacturer serial (9) = 23.
      return `X${pick(random, atcClasses)}${pick(random, ['A', 'B', 'C', 'D'])}${digits(random, 3)}${pick(random, ['A', 'B'])}${digits(random, 3)}${pad(serial % 1_000_000_000, 9)}`;
    case 'tcm':
      return `Z${pick(random, ['A', 'B', 'C', 'D', 'E', 'F'])}${digits(random, 2)}${pick(random, ['AA', 'AB', 'BA', 'CA'])}${digits(random, 3)}${pad(serial % 1_000_000_000, 9)}`;
    case 'service':
      return `00${digits(random, 4)}${pad(serial % 1_000_000_000, 9)}`;
    case 'consumable':
      return `C${digits(random, 10)}${pad(serial % 1_000_000_000, 9)}`;
  }
}

function levelFor(random: Random, weights: readonly [number, number, number]): ItemLevel {
  const roll = random.below(weights[0] + weights[1] + weights[2]);
  return roll < weights[0] ? '01' : roll < weights[0] + weights[1] ? '02' : '03';
}

/** One record of the synthetic catalogue. */
function record(random: Random, serial: number): CatalogueRecord {
  const roll = random.below(100);
  const family = roll < 40 ? 'western' : roll < 55 ? 'tcm' : roll < 85 ? 'service' : 'consumable';
  const kind: ItemKind = family === 'service' ? 'service' : family === 'consumable' ? 'consumable' : 'drug';
  const lv = levelFor(random, kind === 'service' ? [60, 30, 10] : kind === 'consumable' ? [10, 70, 20] : [35, 50, 15]);
  const baseName = pick(random, family === 'western' ? westernNames : family === 'tcm' ? tcmNames : family === 'service' ? serviceNames : consumableNames);
  const unit = pick(random, kind === 'service' ? serviceUnits : kind === 'consumable' ? consumableUnits : drugUnits);
  // List prices per unit, fen: a tablet costs cents to yuan, a stent thousands.
  const listPrice = kind === 'consumable' ? 500 + random.below(chance(random, 20) ? 3_000_000 : 50_000) : kind === 'service' ? 300 + random.below(chance(random, 10) ? 2_000_000 : 30_000) : 5 + random.below(chance(random, 10) ? 200_000 : 5_000);
  const ceilingFen = kind === 'consumable' ? (chance(random, 60) ? Math.floor((listPrice * (60 + random.below(40))) / 100) : null) : kind === 'drug' && chance(random, 10) ? Math.floor((listPrice * (70 + random.below(30))) / 100) : null;
  const womenOnly = baseName.includes('雌') || baseName.includes('黄体酮');
  const menOnly = baseName.includes('非那雄胺') || baseName.includes('坦索罗辛');
  const children = baseName.startsWith('小儿');
  let chronicOnly: Disease[] | null = null;
  if (kind === 'drug' && chance(random, 4)) chronicOnly = [pick(random, diseases)];
  if (baseName.includes('透析')) chronicOnly = ['uremia_dialysis'];
  return {
    code: codeFor(random, family, serial),
    kind,
    lv,
    selfpay_bp: lv === '01' ? 0 : lv === '03' ? 0 : pick(random, kind === 'consumable' ? [1_000, 2_000, 3_000, 5_000] : [500, 1_000, 1_500, 2_000]),
    cap: ceilingFen,
    gend: womenOnly ? '2' : menOnly ? '1' : null,
    age_min: !children && chance(random, 2) ? 18 : null,
    age_max: children ? 14 : null,
    chronic_only: chronicOnly,
    name: `${baseName}${kind === 'drug' ? pick(random, specs) : ''}`,
    unit,
    list_price: listPrice,
  };
}

/** `count` records of a synthetic catalogue from a seed, codes unique. */
export function* generateCatalogueRecords(count: number, seed: number): Generator<CatalogueRecord> {
  const random = seededRandom(seed >>> 0);
  for (let serial = 1; serial <= count; serial += 1) yield record(random, serial);
}
