import { type Type } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import type { Page } from './keyset-cursor';

const NEXT_CURSOR: ApiPropertyOptions = {
  type: String,
  nullable: true,
  description: 'Pass as ?cursor= for the next page; null on the last page',
  example: null,
};

/**
 * The one page shape, `{ items, nextCursor }`, for any item DTO. Extend it to name the schema:
 * `export class AlertPageDto extends PageDto(AlertDto) {}`. `nextCursor` may override the
 * cursor's documentation (e.g. lists that always fit on one page).
 */
export function PageDto<T>(item: Type<T>, nextCursor: ApiPropertyOptions = {}): Type<Page<T>> {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty({ ...NEXT_CURSOR, ...nextCursor } as ApiPropertyOptions)
    nextCursor!: string | null;
  }
  return PageOfItems;
}
