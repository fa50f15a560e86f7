// What the patient reads: every refusal and failure code the terminal can
// meet (the core's §3 refusals, the hub's error replies, the devices', the
// session's own outcomes) as a plain sentence in Chinese and in English, and
// the names of the funds on the screen and the receipt. A code with no entry
// is a bug (test/unit/session-messages.test.ts checks every list); the
// fallback sends the patient to a staffed counter rather than show a code.

export interface Message {
  readonly zh: string;
  readonly en: string;
}

const counter: Message = { zh: '请到人工窗口办理', en: 'Please go to a staffed counter.' };

/**
 * [zh, en, ...codes]: the codes that share one message. Codes a patient can
 * only meet when the terminal itself is in trouble share "call staff"; the
 * staff read the code in the log.
 */
const entries: readonly (readonly string[])[] = [
  // docs/settlement.md §3 refusals.
  ['结算数据有误，请到人工窗口核对', 'The bill data is not valid; please have it checked at a staffed counter.', 'invalid_input'],
  ['参保地政策不支持本次结算，请到人工窗口办理', 'Your insured place does not cover this kind of visit here; please go to a staffed counter.', 'policy_not_found'],
  ['本机构未开通异地就医直接结算', 'This institution is not networked for off-site direct settlement.', 'institution_not_networked'],
  ['请先办理异地就医备案', 'File for off-site treatment first.', 'filing_required'],
  ['您的异地就医备案不在有效期内', 'Your off-site treatment filing is not valid today.', 'filing_not_valid_on_date'],
  ['您备案的就医地不是本机构所在地', 'Your filing is for another area than this institution.', 'filing_area_mismatch'],
  ['本机构不在您备案选定的定点机构中', 'This institution is not among those you chose when filing.', 'institution_not_selected'],
  ['跨省门诊慢特病结算需办理长期异地备案', 'Chronic-disease care across provinces needs a long-term filing.', 'chronic_requires_long_term_filing'],
  ['您尚未取得该门诊慢特病待遇资格', 'You are not qualified for this chronic-disease benefit.', 'chronic_not_qualified'],
  ['本机构未开通该病种的跨省结算', 'This institution has not opened this disease for cross-provincial settlement.', 'chronic_not_opened_at_institution'],
  ['账单中有目录外项目，请到人工窗口核对', 'An item on your bill is not in the catalogue; please have it checked at a staffed counter.', 'unknown_item'],
  // The hub's replies a patient meets.
  ['医保平台暂时无法处理，请稍后再试', 'The settlement platform cannot take this now; please try again shortly.', 'internal', 'busy', 'malformed', 'schema_violation', 'wrong_direction', 'replay_stale', 'chunk_out_of_range', 'catalogue_version_unknown', 'policy_version_unknown'],
  ['正在重新连接医保平台，请稍候', 'Reconnecting to the settlement platform; please wait.', 'session_unknown', 'not_signed_in', 'queue_not_empty'],
  ['未查询到您的参保信息', 'No insurance record was found for you.', 'person_not_found'],
  ['凭证无效，请重新出示医保电子凭证或社保卡', 'This credential is not valid; please show your e-certificate or card again.', 'credential_invalid', 'token_check_failed'],
  ['未查询到待结算费用，请到收费窗口确认', 'No bill is waiting for you; please ask at the billing counter.', 'bill_not_found'],
  ['费用明细已变更，请重新结算', 'Your bill changed; please settle again.', 'bill_changed'],
  ['结算结果核对不一致，未扣费，请到人工窗口办理', 'The platform computed a different result: nothing was charged; please go to a staffed counter.', 'result_mismatch'],
  ['该笔结算已撤销或不存在', 'That settlement was cancelled or does not exist.', 'settlement_not_found', 'already_cancelled'],
  ['离线结算超过限额，请到人工窗口办理', 'This offline settlement is over the offline limit; please go to a staffed counter.', 'offline_limit_exceeded'],
  ['该笔费用已结算，请勿重复结算', 'This bill has already been settled.', 'already_settled'],
  // The filing services' refusals (protocol: filing_apply, filing_cancel), met when filing at the kiosk (issue 16): staff settle them with the patient.
  [counter.zh, counter.en, 'filing_type_not_allowed_here', 'filing_exists', 'filing_overlaps', 'not_cancellable'],
  ['个人账户余额不足，请选择不使用个人账户或到人工窗口办理', 'Your personal account does not cover this; pay without it, or go to a staffed counter.', 'account_insufficient'],
  // The terminal itself needs staff.
  ['终端暂时无法服务，请联系工作人员', 'The terminal needs attention; please call staff.', 'unknown_type', 'bad_signature', 'unknown_kid', 'time_skew', 'not_reversible', 'cancel_not_allowed', 'recon_period_invalid', 'blob_not_found', 'key_rejected', 'port_error', 'journal_full', 'queue_full', 'sync_invalid', 'sync_corrupt', 'catalogue_missing'],
  // The terminal's catalogue or policy book failed its check: it falls back and fetches a snapshot by itself.
  ['终端目录数据正在自动修复，本次未扣费，请稍后再试', 'The terminal is repairing its catalogue by itself: nothing was charged; please try again shortly.', 'store_damaged'],
  // The devices.
  ['设备或网络无响应，本次未扣费', 'A device or the line did not answer: nothing was charged.', 'timeout'],
  ['操作已取消，本次未扣费', 'Cancelled: nothing was charged.', 'cancelled'],
  ['设备通信异常，请重试', 'A device answered strangely; please try again.', 'protocol_error'],
  ['请插入社保卡', 'Please insert your social-security card.', 'no_card'],
  ['读卡时卡片被拔出，请重新插卡', 'The card was pulled out while reading; please insert it again.', 'card_removed'],
  ['无法读取卡片，请确认插卡方向', 'The card cannot be read; please check it is inserted the right way.', 'card_unreadable'],
  ['卡片信息无法识别，请到人工窗口办理', 'The card cannot be used here; please go to a staffed counter.', 'card_data_invalid', 'file_not_found', 'card_error'],
  ['请先输入密码', 'Please enter your PIN first.', 'security_not_satisfied'],
  ['密码错误，请重新输入', 'Wrong PIN; please try again.', 'pin_wrong'],
  ['密码已锁定，请到社保经办机构解锁', 'Your PIN is blocked; please have it unblocked at a social-security office.', 'pin_blocked'],
  ['打印机缺纸，结算已完成，请到人工窗口补打凭证', 'The printer is out of paper. Your settlement is done; get your receipt at a staffed counter.', 'paper_out'],
  ['打印机故障，结算已完成，请到人工窗口补打凭证', 'The printer failed. Your settlement is done; get your receipt at a staffed counter.', 'cover_open', 'printer_error', 'receipt_too_long'],
  // The session's outcomes.
  ['医保平台无法连接，本次未扣费', 'The settlement platform cannot be reached: nothing was charged.', 'hub_unreachable'],
  ['医保平台无法连接，本次费用超过离线结算限额，未扣费', 'The platform cannot be reached and this bill is over the offline limit: nothing was charged.', 'offline_over_limit'],
  ['医保平台无法连接，本类就诊不能离线结算，未扣费', 'The platform cannot be reached and this kind of visit cannot settle offline: nothing was charged.', 'offline_not_allowed'],
  ['结算未完成，已自动冲正，本次未扣费', 'The settlement did not complete and was reversed: nothing was charged.', 'reversed'],
  ['操作超时，本次未扣费', 'You took too long: nothing was charged.', 'session_timeout'],
  ['您已取消，本次未扣费', 'You cancelled: nothing was charged.', 'patient_cancelled'],
];

const table = new Map<string, Message>();
for (const [zh, en, ...codes] of entries) for (const code of codes) table.set(code, { zh: zh as string, en: en as string });

/** The plain message for a code; the staffed-counter fallback for a code with no entry. */
export function messageFor(code: string): Message {
  return table.get(code) ?? counter;
}

/** Whether a code has its own message (tests check every code list against this). */
export function hasMessage(code: string): boolean {
  return table.has(code);
}

/** The funds of setldetail (docs/settlement.md §9) by fund_pay_type. */
const funds: Readonly<Record<string, readonly [string, string]>> = {
  '310100': ['职工基本医疗保险统筹基金', "Employees' basic insurance pool"],
  '390100': ['城乡居民基本医疗保险基金', "Residents' basic insurance fund"],
  '330100': ['职工大额医疗费用补助', "Employees' large-amount supplement"],
  '390200': ['城乡居民大病保险', "Residents' critical-illness insurance"],
  '610100': ['医疗救助基金', 'Medical assistance'],
  '310200': ['职工个人账户', 'Personal account'],
};

export function fundName(fundPayType: string): Message {
  const entry = Object.hasOwn(funds, fundPayType) ? funds[fundPayType] : undefined;
  return entry === undefined ? { zh: fundPayType, en: fundPayType } : { zh: entry[0], en: entry[1] };
}
